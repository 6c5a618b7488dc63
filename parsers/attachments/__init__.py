"""Attachment files (PDF, DOC, WPS, DOCX, XLS, XLSX, OFD, RTF; archives listed) to text: pure, bounded, sniffed.

Bytes in, an AttachmentText out: `read_attachment` never raises on bad bytes, every failure is a status and
a one-line reason. The format comes from the magic bytes (`sniff`); a file's name only breaks a tie.
Each format's reader loads its library (pypdf, olefile, lxml, xlrd) on first use.
"""

from __future__ import annotations

from parsers.attachments.limits import DEFAULT_LIMITS, Limits
from parsers.attachments.read import read_attachment
from parsers.attachments.sniff import Format, binary_format, media_type, sniff

__all__ = ["DEFAULT_LIMITS", "Format", "Limits", "binary_format", "media_type", "read_attachment", "sniff"]
