"""Progress of long passes: a bar on a terminal, a log line every 10 % otherwise."""

import io
import logging

from astrocalc.progress import reporter


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_log_gets_a_line_every_ten_percent(caplog):
    report = reporter("events, pass 1", stream=io.StringIO())
    with caplog.at_level(logging.INFO, logger="astrocalc"):
        for done in range(0, 1001, 25):
            report(done, 1000)
    shares = [r.getMessage() for r in caplog.records]
    assert len(shares) == 10, shares
    assert shares[0] == "events, pass 1: 100/1000 frames (10 %)"
    assert shares[-1] == "events, pass 1: 1000/1000 frames (100 %)"


def test_terminal_gets_one_redrawn_line_and_the_log_nothing(caplog):
    stream = _Terminal()
    with caplog.at_level(logging.INFO, logger="astrocalc"):
        report = reporter("motion", stream=stream)
        for done in (256, 512, 768, 1000):
            report(done, 1000)
    assert not caplog.records
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1
    assert "100 % 1000/1000 frames" in text


def test_quiet_at_warning_level(caplog):
    stream = _Terminal()
    with caplog.at_level(logging.WARNING, logger="astrocalc"):
        report = reporter("motion", stream=stream)
        report(1000, 1000)
    assert not caplog.records and stream.getvalue() == ""
