import logging

from app.logs import configure_logging, redact

VPUB = ("vpub5VHmsT9jWZ1wEtcJtCp8oJzcsHD7cE9nUU9G3LzDfw5gGFTYJtn9uRM3jdHmcbJh9uw3JKuuhGnh3HzK5vYsNc4a"
        "WKV6gEGgPTSi5Jo5GkY")


def test_redacts_xpubs_emails_tokens_and_passwords():
    text = redact(f"wallet {VPUB} for alice@example.com token abcdefghijklmnop password=hunter22")
    assert VPUB not in text and "vpub5VHmsT" in text
    assert "alice@example.com" not in text and "example.com" in text
    assert "abcdefghijklmnop" not in text
    assert "hunter22" not in text


def test_log_file_is_redacted(tmp_path):
    configure_logging(tmp_path, "warning", console=False)
    try:
        logging.getLogger("app.test").info("added %s", VPUB)
    finally:
        for handler in logging.getLogger().handlers:
            handler.flush()
    content = (tmp_path / "redwaves.log").read_text()
    assert "added vpub5VHm" in content and VPUB not in content
    configure_logging(None, "warning", console=False)
