"""Gettext catalogs (English source + de/es/ru), compiled in memory from the committed .po files,
and the choice of language for a request: ``?lang=`` first, then Accept-Language, else English."""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES: tuple[str, ...] = ("en", "de", "es", "ru")
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "es": "Español", "ru": "Русский"}


def load_catalog(po_path: Path, code: str) -> gettext.GNUTranslations:
    """Compile one .po file to an in-memory .mo (fuzzy entries are left out, as msgfmt does)."""
    with po_path.open("rb") as fp:
        catalog = read_po(fp, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@dataclass(frozen=True)
class Translator:
    """What a page needs to speak one language: gettext callables and the Babel locale."""

    code: str
    locale: Locale
    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]


class Catalogs:
    def __init__(self, directory: Path = LOCALE_DIR) -> None:
        self._translators: dict[str, Translator] = {}
        for code in LOCALES:
            translations: gettext.NullTranslations
            if code == DEFAULT_LOCALE:
                translations = gettext.NullTranslations()
            else:
                translations = load_catalog(directory / code / "LC_MESSAGES" / "messages.po", code)
            self._translators[code] = Translator(code, Locale.parse(code), translations.gettext,
                                                 translations.ngettext)

    def get(self, code: str) -> Translator:
        return self._translators.get(code, self._translators[DEFAULT_LOCALE])


def _primary(tag: str) -> str:
    return tag.strip().replace("_", "-").split("-")[0].lower()


def explicit_language(query_lang: str | None) -> str | None:
    """The supported language asked for with ``?lang=``, or None."""
    if not query_lang:
        return None
    code = _primary(query_lang[:20])
    return code if code in LOCALES else None


def parse_accept_language(header: str | None) -> list[str]:
    """Primary language subtags by preference (q-values honoured, q=0 dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:500].split(",")[:20]):
        tag, _, params = part.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if tag.strip() and quality > 0:
            ranked.append((-quality, position, _primary(tag)))
    return [code for _, _, code in sorted(ranked)]


_NEGOTIATED: dict[tuple[str | None, str | None], str] = {}
_NEGOTIATED_MAX = 512


def negotiate(query_lang: str | None, accept_language: str | None) -> str:
    """The page's language; remembered per (``?lang=``, ``Accept-Language``): browsers send a few
    distinct headers, and parsing one on every request was a visible part of a page's cost."""
    if len(query_lang or "") + len(accept_language or "") > 200:
        return _negotiate(query_lang, accept_language)  # not remembered: the cache stays small
    key = (query_lang, accept_language)
    code = _NEGOTIATED.get(key)
    if code is None:
        if len(_NEGOTIATED) >= _NEGOTIATED_MAX:
            _NEGOTIATED.clear()  # bounded: sprayed headers cannot grow it
        code = _NEGOTIATED[key] = _negotiate(query_lang, accept_language)
    return code


def _negotiate(query_lang: str | None, accept_language: str | None) -> str:
    chosen = explicit_language(query_lang)
    if chosen:
        return chosen
    for code in parse_accept_language(accept_language):
        if code in LOCALES:
            return code
    return DEFAULT_LOCALE
