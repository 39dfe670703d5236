"""A log line that cannot be written (a full disk) is dropped and counted, never raised into
the code that logs; the next line that can be written says how many were lost."""

from __future__ import annotations

import io

from whisk.logs import SafePrintLogger


class FullDisk(io.StringIO):
    full = True

    def write(self, text: str) -> int:
        if self.full:
            raise OSError(28, "No space left on device")
        return super().write(text)


def test_a_full_disk_drops_lines_instead_of_raising() -> None:
    out = FullDisk()
    logger = SafePrintLogger(out)
    SafePrintLogger.dropped = 0
    logger.info("lost 1")
    logger.error("lost 2")
    assert SafePrintLogger.dropped == 2
    out.full = False
    logger.info("kept")
    lines = out.getvalue().splitlines()
    assert lines == ["", '{"event": "log lines dropped", "dropped": 2}', "kept"]
    assert SafePrintLogger.dropped == 0
