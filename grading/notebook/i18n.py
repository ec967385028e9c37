"""Translation of the pipeline's user-facing messages, without importing Django.

The pipeline also runs in ``manage.py grade``, in bench scripts and partly in a sandboxed
fork server, so it cannot import Django; yet what it tells teachers and students (why a
notebook was refused, why a test failed) must come out in their language. Messages are
written in English, marked with ``from .i18n import gettext as _`` and Django's %-style
named placeholders (``_("Test '%(test)s' failed.") % {"test": grade_id}``), so
``makemessages`` extracts them as python-format. A message with a count is written with
``ngettext(singular, plural, count)``, so that each language picks its own plural form
(Russian has three); a count of points may be a fraction, `plural_count` says which form
it takes. They are translated by whatever translator is installed:
`grading.apps.GradingConfig.ready` installs Django's gettext and ngettext; without them
(bench scripts, plain Python) the English text is returned as it is.
Messages only logged for the platform team (kernel start-up, fork server) stay English.

Translators such as Django's follow a language that is active per thread (and per asyncio
task). The warm pool runs notebooks in a thread of its own, so a translator may come with
`get_language` and `activate`: `carry` then takes the caller's language along to the
coroutine that runs elsewhere.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
Translator = Callable[[str], str]
PluralTranslator = Callable[[str, str, int], str]


def _untranslated(message: str) -> str:
    return message


def _untranslated_plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


_translate: Translator = _untranslated
_translate_plural: PluralTranslator = _untranslated_plural
_get_language: Callable[[], str | None] | None = None
_activate: Callable[[str], None] | None = None


def install(
    translator: Translator,
    *,
    plural: PluralTranslator | None = None,
    get_language: Callable[[], str | None] | None = None,
    activate: Callable[[str], None] | None = None,
) -> None:
    """Translate the pipeline's messages with `translator` (e.g. Django's ``gettext``) and
    those with a count with `plural` (e.g. Django's ``ngettext``; English without it).

    `get_language` and `activate` (e.g. Django's) tell which language is active here and
    make one active in the current thread or asyncio task; `carry` needs both.
    """
    global _translate, _translate_plural, _get_language, _activate
    _translate, _get_language, _activate = translator, get_language, activate
    _translate_plural = plural or _untranslated_plural


def uninstall() -> None:
    """Back to the English text (tests)."""
    install(_untranslated)


def gettext(message: str) -> str:
    """`message` in the active language of the installed translator (English by default)."""
    return _translate(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a message for `count` things in the active language (English: `singular`
    for 1, `plural` otherwise). Put the count in with a placeholder, as with gettext."""
    return _translate_plural(singular, plural, count)


def plural_count(number: float) -> int:
    """The count that picks the plural form for `number` points: itself when whole; for a
    fraction, 2, whose form is the one fractions take in English ("1.5 points"), Russian
    ("1,5 балла") and Azerbaijani alike."""
    value = float(number)
    return int(abs(value)) if value.is_integer() else 2


def carry(coro: Awaitable[T]) -> Coroutine[Any, Any, T]:
    """`coro`, to be run in another thread or event loop in the caller's language.

    Call it in the caller's thread; the language is activated inside the returned
    coroutine, so only the asyncio task running it (a copy of a context) sees it.
    """
    language = _get_language() if _get_language is not None else None
    activate = _activate

    async def in_language() -> T:
        if language and activate is not None:
            activate(language)
        return await coro

    return in_language()
