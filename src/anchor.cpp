namespace wipeout { int library_anchor = 0; }
