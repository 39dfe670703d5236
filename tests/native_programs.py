"""Executables for native-action tests (``--native``): a tiny C program built here, static so
that it runs in any image."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

C_SOURCE = (
    "#include <stdio.h>\n"
    "int main(int argc, char **argv) {\n"
    '  printf("compiled log\\n{\\"argc\\": %d, \\"args\\": %s}\\n", argc, argv[1]);\n'
    "  return 0;\n"
    "}\n"
)


def static_program(directory: Path) -> Path | None:
    """``directory/exec``, compiled from ``C_SOURCE``: prints one log line, then
    ``{"argc": 2, "args": <its argument>}``. None when no compiler can link it here."""
    if shutil.which("gcc") is None:
        return None
    source = directory / "main.c"
    source.write_text(C_SOURCE)
    program = directory / "exec"
    build = ["gcc", "-static", "-O1", "-o", str(program), str(source)]
    if subprocess.run(build, capture_output=True, check=False).returncode != 0:
        return None
    return program
