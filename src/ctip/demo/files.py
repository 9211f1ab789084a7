"""Small files made on the spot for demo materials: a PDF leaflet, a PNG poster, a WAV clip.
Nothing is downloaded."""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib


def pdf_leaflet(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with plain ASCII text (the demo does not need a font file)."""
    text_ops = ["BT /F1 18 Tf 50 780 Td (" + _pdf_escape(title) + ") Tj ET"]
    y = 740
    for line in lines:
        text_ops.append(f"BT /F1 12 Tf 50 {y} Td ({_pdf_escape(line)}) Tj ET")
        y -= 20
    stream = "\n".join(text_ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode())
    return out.getvalue()


def _pdf_escape(text: str) -> str:
    ascii_text = text.encode("ascii", "replace").decode()
    return ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def png_poster(width: int = 320, height: int = 200,
               colour: tuple[int, int, int] = (138, 21, 56)) -> bytes:
    """A plain PNG with a coloured band, made with zlib."""
    rows = []
    for y in range(height):
        band = colour if height // 3 <= y < 2 * height // 3 else (250, 246, 247)
        rows.append(b"\x00" + bytes(band) * width)
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + \
        chunk(b"IEND", b"")


def wav_clip(seconds: float = 1.5, frequency: float = 440.0, rate: int = 8000) -> bytes:
    """A short tone, as a stand-in for a loudspeaker recording."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        frames = bytearray()
        for i in range(int(seconds * rate)):
            value = int(8000 * math.sin(2 * math.pi * frequency * i / rate))
            frames += struct.pack("<h", value)
        clip.writeframes(bytes(frames))
    return buffer.getvalue()
