"""README.md's Python section works when pasted: its python blocks run in order, in one namespace, in a
fresh folder (the one-line `PYTHONPATH=build/python` example is an sh block: tests/cli/readme.sh runs it)."""
import os
import re

from conftest import SOURCE_DIR


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    readme = (SOURCE_DIR / "README.md").read_text()
    section = re.search(r"^### Python\n(.*?)(?=^##)", readme, re.S | re.M)
    assert section, "README.md has no '### Python' section"
    blocks = re.findall(r"^```python\n(.*?)^```", section.group(1), re.S | re.M)
    assert blocks
    for d in ("experiments", "data"):
        os.symlink(SOURCE_DIR / d, tmp_path / d)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
