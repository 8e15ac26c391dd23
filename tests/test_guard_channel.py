"""The conversation between the guard in pip and safe-pip's checker: the bytes of the pages
pip read travel framed after the question once the checker says it reads frames (as JSON
text before that, to a checker of an older safe-pip), and arrive byte for byte.

Measured on a hooked `pip install requests` (the real index, pages of 1.6 MB): encoding the
pages into the question took pip ~6 ms and decoding them the checker ~5 ms; framed, neither
touches the bytes.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from safe_pip.hook.runtime import channel
from safe_pip.hook.runtime.checker import CheckerError
from safe_pip.installers.pip import guard_server
from safe_pip.installers.pip.guard_server import FramingError, read_question

EVERY_BYTE = bytes(range(256)) * 3 + '{"files": ["é"]}'.encode()


def _page(body: bytes, url: str = "https://idx.invalid/simple/demo/") -> dict[str, Any]:
    return {"url": url, "page_url": url, "content_type": "text/html", "body": body}


def _question(*bodies: bytes) -> dict[str, Any]:
    return {"op": "candidates", "name": "demo", "pages": [_page(b) for b in bodies]}


def _sent(line_and_frames: tuple[bytes, list[bytes]]) -> io.BytesIO:
    line, frames = line_and_frames
    return io.BytesIO(line + b"".join(frames) + b'{"op": "next"}\n')


def test_framed_pages_arrive_byte_for_byte_and_the_next_question_after_them() -> None:
    stream = _sent(channel._encoded(_question(EVERY_BYTE, b"", b"<a>"), framed=True))

    request = read_question(stream.readline(), stream)

    assert isinstance(request, dict) and "frames" not in request
    assert [page["content"] for page in request["pages"]] == [EVERY_BYTE, b"", b"<a>"]
    assert all("body" not in page and "frame" not in page for page in request["pages"])
    assert json.loads(stream.readline()) == {"op": "next"}


def test_to_a_checker_that_reads_no_frames_pages_go_as_latin1_text() -> None:
    line, frames = channel._encoded(_question(EVERY_BYTE), framed=False)

    assert frames == []
    request = json.loads(line)
    assert request["pages"][0]["body"].encode("latin-1") == EVERY_BYTE


def test_a_request_without_bytes_is_sent_as_it_is() -> None:
    request = {"op": "gate", "item": {"name": "demo"}, "pages": [{"url": "u", "absent": True}]}
    line, frames = channel._encoded(request, framed=True)
    assert (json.loads(line), frames) == (request, [])


@pytest.mark.parametrize(
    ("announced", "pages", "sent"),
    [
        ([-1], [{"frame": 0}], b""),
        (["3"], [{"frame": 0}], b"abc"),
        ([True], [{"frame": 0}], b"a"),
        ([10], [{"frame": 0}], b"short"),
        ([3], [{"frame": 1}], b"abc"),
        ("3", [{"frame": 0}], b"abc"),
        ([64 * 1024 * 1024 + 1], [{"frame": 0}], b""),  # more than a page can be: not read
        ([0] * 4097, [], b""),
    ],
)
def test_frames_that_cannot_be_read_as_announced_stop_the_conversation(
    announced: object, pages: list[dict[str, Any]], sent: bytes
) -> None:
    line = json.dumps({"op": "candidates", "frames": announced, "pages": pages}).encode()
    stream = io.BytesIO(line + b"\n" + sent)
    with pytest.raises(FramingError):
        read_question(stream.readline(), stream)


class _Service:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        return {"exit_code": 0}


def test_the_checker_answers_a_broken_frame_once_and_ends_the_conversation() -> None:
    service = _Service()
    line = json.dumps({"op": "candidates", "frames": [99], "pages": [{"frame": 0}]}).encode()
    answers = io.BytesIO()
    guard_server._serve(service, io.BytesIO(line + b"\n" + b"x" * 5), answers, token=None)  # type: ignore[arg-type]
    lines = answers.getvalue().splitlines()
    assert len(lines) == 1 and "ended inside its page bytes" in json.loads(lines[0])["error"]
    assert service.requests == []


def test_every_answer_says_the_checker_reads_frames() -> None:
    answer = guard_server.answer_line(_Service(), {"op": "gate"})  # type: ignore[arg-type]
    assert json.loads(answer) == {"exit_code": 0, "frames": True}


class _Pipe:
    """The checker's side of a channel: answers queued in advance, what was written kept."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.reader = io.BytesIO(b"".join(json.dumps(a).encode() + b"\n" for a in answers))
        self.writer = io.BytesIO()


def test_a_channel_frames_pages_only_after_the_checker_said_it_reads_them() -> None:
    pipe = _Pipe({"exit_code": 0}, {"exit_code": 0, "frames": True}, {"exit_code": 0})
    talk = channel.Channel(pipe.reader, pipe.writer)

    talk.ask(_question(b"first"))  # an older checker's answer: no frames yet
    talk.ask(_question(b"second"))  # still none: this answer is the first to say it
    talk.ask(_question(b"third"))

    stream = io.BytesIO(pipe.writer.getvalue())
    first, second = json.loads(stream.readline()), json.loads(stream.readline())
    assert [first["pages"][0]["body"], second["pages"][0]["body"]] == ["first", "second"]
    third = read_question(stream.readline(), stream)
    assert isinstance(third, dict) and third["pages"][0]["content"] == b"third"


def test_a_checker_error_is_still_an_error_with_frames() -> None:
    pipe = _Pipe({"error": "safe-pip: frames larger or more than the pages they can be"})
    with pytest.raises(CheckerError, match="frames larger"):
        channel.Channel(pipe.reader, pipe.writer).ask(_question(b"x"))
