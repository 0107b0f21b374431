#pragma once
// One string escaper for everything wipeout prints as JSON or writes as TOML: the two formats share the
// same double-quoted, backslash-escaped form for these characters.
#include <cstdio>
#include <string>
#include <string_view>

namespace wipeout {

/// `s` in double quotes with backslash escapes: valid as a JSON string and as a TOML basic string.
inline std::string quoted_text(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {  // TOML forbids raw DEL too
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out + "\"";
}

}  // namespace wipeout
