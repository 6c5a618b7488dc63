-- 0007_digest_sends: the exactly-once ledger of digest mail. One row per ISO week and recipient,
-- written only after the SMTP server accepted that recipient's message; a rerun sends to nobody
-- already here unless asked to resend (then `sends` counts up).
CREATE TABLE core.digest_sends (
    week          VARCHAR NOT NULL,   -- ISO week (Asia/Shanghai), e.g. 2026-W47
    recipient     VARCHAR NOT NULL,   -- lower-cased address
    sent_at       TIMESTAMP NOT NULL, -- UTC, last accepted send
    sends         INTEGER NOT NULL,   -- 1, more after --resend
    message_id    VARCHAR NOT NULL,   -- of the last accepted message
    subject       VARCHAR NOT NULL,
    mode          VARCHAR NOT NULL,   -- per-recipient | bcc
    run_id        VARCHAR,            -- the weekly-digest run that sent it
    PRIMARY KEY (week, recipient)
);

CREATE OR REPLACE VIEW main.digest_sends AS
SELECT week, recipient, sent_at, sends, message_id, subject, mode, run_id FROM core.digest_sends;
