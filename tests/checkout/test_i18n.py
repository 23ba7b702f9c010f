"""Languages: ?lang= or Accept-Language; de/es/ru catalogs complete; amounts and dates per locale."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from app.checkout_server.shopper.formats import btc_text, datetime_text, price_text
from app.checkout_server.shopper.i18n import LOCALE_DIR, Catalogs, negotiate, parse_accept_language
from app.checkout_server.shopper.invoice_view import status_texts
from app.core.statuses import InvoiceStatus

PACKAGE = Path(LOCALE_DIR).parent


def _source_messages() -> set:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"trimmed": "true"}}
    return {message for _, _, message, _, _ in extract_from_dir(str(PACKAGE), method_map, options_map=options)}


@pytest.mark.parametrize("code", ["de", "es", "ru"])
def test_catalog_is_complete(code):
    with (LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        catalog = read_po(fp, locale=code)
    translated = {m.id for m in catalog if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple)
                                                                         else [m.string])}
    missing = {m if isinstance(m, str) else m[0] for m in _source_messages()} - {
        m if isinstance(m, str) else m[0] for m in translated}
    assert not missing, f"{code}: untranslated {sorted(missing)[:5]}"
    for message in catalog:
        if message.id and message.python_format:
            assert not message.check(catalog), (code, message.id)


def test_negotiation():
    assert negotiate("de", "ru") == "de"
    assert negotiate("DE-at", None) == "de"
    assert negotiate("xx", "es-ES,es;q=0.9,en;q=0.5") == "es"
    assert negotiate(None, "fr-FR, ru;q=0.8, de;q=0.9") == "de"
    assert negotiate(None, "fr, zh") == "en"
    assert negotiate(None, "de;q=0, ru;q=0.1") == "ru"
    assert parse_accept_language("x" * 10_000)  # bounded, no error


def test_amounts_and_dates_per_locale():
    catalogs = Catalogs()
    de, ru, en = catalogs.get("de").locale, catalogs.get("ru").locale, catalogs.get("en").locale
    assert btc_text(123456789, en) == "1.23456789\u00a0BTC"
    assert btc_text(123456789, de) == "1,23456789\u00a0BTC"
    assert price_text(Decimal("1234.50"), "EUR", de) == "1.234,50\u00a0€"
    assert price_text(Decimal("1234.50"), "USD", en) == "$1,234.50"
    moment = datetime(2026, 3, 1, 14, 5, tzinfo=UTC)
    assert datetime_text(moment, de) == "01.03.2026, 14:05:00 UTC"
    assert datetime_text(moment, en) == "Mar 1, 2026, 2:05:00\u202fPM UTC"
    assert "мар" in datetime_text(moment, ru)


async def test_every_status_has_wording_in_every_language(shop):
    catalogs = Catalogs()
    english = {status: status_texts(replace(shop.invoice, status=status), catalogs.get("en")) for status in InvoiceStatus}
    for code in ("de", "es", "ru"):
        for status in InvoiceStatus:
            title, message = status_texts(replace(shop.invoice, status=status), catalogs.get(code))
            assert title != english[status][0] and message != english[status][1], (code, status)


async def test_lang_query_shows_german(client, shop):
    response = await client.get(f"/i/{shop.invoice.id}?lang=de")
    html = await response.text()
    assert response.headers["Content-Language"] == "de"
    assert '<html lang="de">' in html
    assert "Warten auf Zahlung" in html and "In Wallet öffnen" in html
    assert "0,00020000\u00a0BTC" in html and "10,00\u00a0$" in html
    assert f'href="/i/{shop.invoice.id}?lang=de"' in html  # "check again" keeps the language


async def test_accept_language_and_status_json(client, shop):
    page = await client.get(f"/i/{shop.invoice.id}", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert "Ожидание оплаты" in await page.text()
    status = await (await client.get(f"/i/{shop.invoice.id}/status?lang=es")).json()
    assert status["title"] == "Esperando el pago"
    store = await client.get(f"/s/{shop.store.id}?lang=ru")
    assert "Оплатить биткоинами" in await store.text()
