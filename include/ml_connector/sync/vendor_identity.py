"""What makes two vendor records the same business: normalised names and compacted identifiers.

A name is compared by its key: accents dropped, case folded, `&` read as `and`, dots and apostrophes
removed ("S.A." = "SA"), other punctuation a word break, legal forms dropped (trailing: GmbH, Ltd, AB,
Oy, Inc, S.A. de C.V., ...; leading: Oy, AB, The), and the words joined without spaces ("Müller-Bau" = "Muller Bau").
An identifier (VAT number, company registration, DUNS...) is compared upper-case without spaces, dots,
dashes or slashes; a VAT number also without its country prefix, as registers often store it bare.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

# Trailing words (or word sequences) that name a legal form, not the business; longest first.
_LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(sorted(
    (tuple(form.split()) for form in (
        "gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "gbr", "ug", "ev", "se", "gmbh co kg", "ag co kg",
        "gmbh and co kg", "ag and co kg", "and co kg", "and co",
        "ltd", "limited", "plc", "llc", "llp", "lp", "inc", "incorporated", "corp", "corporation", "co",
        "co ltd", "company", "pty", "pty ltd", "pte", "pte ltd",
        "ab", "publ", "oy", "oyj", "ay", "tmi", "as", "asa", "aps", "a s", "hf", "ehf",
        "bv", "nv", "vof", "bvba", "sprl", "sa", "sas", "sarl", "sasu", "snc", "scs", "eurl", "srl", "spa",
        "sl", "slu", "sa de cv", "s de rl", "s de rl de cv", "sab de cv", "ltda", "sro", "sp z oo",
        "kft", "zrt", "nyrt", "doo", "ad", "ood", "ou", "uab", "sia",
    )),
    key=len, reverse=True))
_LEADING_FORMS = frozenset({"the", "oy", "ab", "as"})  # "Oy Nokia Ab", "The Acme Company"
_DROPPED = re.compile("[.'\u2019`\u00b4]")  # dots and apostrophes join: S.A. = SA, O'Neil = ONeil
_BREAKS = re.compile(r"[^\w]+|_")
_ID_NOISE = re.compile(r"[\s.\-/]+")
_WORD = re.compile(r"[^\W_]+")


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().replace("&", " and ")


def name_words(name: str) -> list[str]:
    """The name's words without trailing legal forms (all of them, if nothing else is left)."""
    words = [w for w in _BREAKS.split(_DROPPED.sub("", _plain(name))) if w]
    changed = True
    while changed:
        changed = False
        for form in _LEGAL_FORMS:
            if len(words) > len(form) and tuple(words[-len(form):]) == form:
                words = words[:-len(form)]
                changed = True
                break
        if len(words) > 1 and words[0] in _LEADING_FORMS:
            words = words[1:]
            changed = True
    return words


def name_key(name: str) -> str:
    """Equal keys = the same name for duplicate detection ("ACME Industrial GmbH" = "Acme-Industrial")."""
    return "".join(name_words(name))


def search_word(name: str) -> str | None:
    """The longest word of the name as written (lower case), to ask IFS for names containing it; the
    key comparison then decides. Legal forms are skipped: every GmbH contains "gmbh"."""
    forms = {f[0] for f in _LEGAL_FORMS if len(f) == 1}
    words = [w for w in _WORD.findall(name.lower()) if w not in forms and len(w) > 1]
    return max(words, key=len) if words else None


def compact_id(value: str) -> str:
    return _ID_NOISE.sub("", value).upper()


def identifier_forms(value: str, country: str | None) -> set[str]:
    """The spellings a register may hold for one identifier: compacted, and with and without the VAT
    country prefix (Greece's VAT prefix is EL, its ISO code GR)."""
    compact = compact_id(value)
    forms = {compact} if compact else set()
    prefixes = {country, "EL" if country == "GR" else None} - {None}
    for prefix in prefixes:
        assert prefix is not None
        if compact.startswith(prefix) and len(compact) > len(prefix) + 2:
            forms.add(compact[len(prefix):])
        elif compact and not compact[:2].isalpha():
            forms.add(prefix + compact)
    return forms


def vendor_country(vendor: Mapping[str, Any]) -> str | None:
    """The country of the vendor's default address (else its first), upper case; None if none."""
    addresses = [a for a in vendor.get("addresses") or () if isinstance(a, Mapping)]
    address = next((a for a in addresses if a.get("default")), addresses[0] if addresses else None)
    country = str(address.get("countryId") or "").strip().upper() if address else ""
    return country if re.fullmatch(r"[A-Z]{2}", country) else None


def vendor_identifiers(vendor: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(scheme, id) of every identifier the vendor carries (VAT, registration numbers, DUNS, GLN...)."""
    out = []
    for item in vendor.get("identifiers") or ():
        if isinstance(item, Mapping) and str(item.get("id") or "").strip():
            out.append((str(item.get("schemeId") or "ID").strip() or "ID", str(item["id"]).strip()))
    return out
