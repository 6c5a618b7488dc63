"""The digest_sends ledger: who has been mailed which week's digest (exactly once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb

# Recipients already mailed a week's digest, with how many times (for the next Message-ID).
SENT_FOR_WEEK = "SELECT recipient, sends FROM core.digest_sends WHERE week = ? ORDER BY recipient"

# One accepted send; a resend of the same week and recipient updates the row and counts it.
# MERGE rather than ON CONFLICT: no key constraint needed (a DuckLake table cannot have one).
RECORD_SEND = """
MERGE INTO core.digest_sends AS sends
USING (
    SELECT ?::VARCHAR AS week, ?::VARCHAR AS recipient, ?::TIMESTAMP AS sent_at, 1 AS sends,
           ?::VARCHAR AS message_id, ?::VARCHAR AS subject, ?::VARCHAR AS mode, ?::VARCHAR AS run_id
) AS excluded
ON sends.week = excluded.week AND sends.recipient = excluded.recipient
WHEN MATCHED THEN UPDATE SET
    sent_at = excluded.sent_at, sends = sends.sends + 1, message_id = excluded.message_id,
    subject = excluded.subject, mode = excluded.mode, run_id = excluded.run_id
WHEN NOT MATCHED THEN INSERT BY NAME
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Send:
    """One message the server accepted for one recipient."""

    week: str
    recipient: str
    sent_at: datetime
    message_id: str
    subject: str
    mode: str
    run_id: str | None


def normalise(address: str) -> str:
    """The ledger key of an address."""
    return address.strip().lower()


def sent_for_week(con: duckdb.DuckDBPyConnection, week: str) -> dict[str, int]:
    """Recipient → number of accepted sends of a week's digest."""
    return dict(con.execute(SENT_FOR_WEEK, [week]).fetchall())


def record_send(con: duckdb.DuckDBPyConnection, send: Send) -> None:
    """Record an accepted send (call only after the server said yes)."""
    con.execute(
        RECORD_SEND,
        [send.week, normalise(send.recipient), send.sent_at, send.message_id, send.subject, send.mode, send.run_id],
    )
