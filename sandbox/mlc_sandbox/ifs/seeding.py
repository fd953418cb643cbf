"""Load the shared seed data set into the simulator's entity sets (no history: it was there before)."""

from __future__ import annotations

import zlib
from datetime import timedelta

from mlc_sandbox.ifs.model import CODE_PARTS
from mlc_sandbox.ifs.store import Database
from mlc_sandbox.seed import Dataset

_PAY_TERMS = ("NET14", "NET30", "NET30", "NET45", "NET60")
_DESCRIPTIONS = {"Account": "Account", "CostCenter": "Cost Center", "Department": "Department",
                 "Plant": "Plant", "Project": "Project"}


def _pick(key: str, choices: tuple[str, ...]) -> str:
    return choices[zlib.crc32(key.encode()) % len(choices)]


def load(db: Database, dataset: Dataset, user: str) -> None:
    master_data_modified = dataset.config.anchor - timedelta(days=90)
    schema, names = db.schema, db.schema.names
    for c in dataset.companies:
        db.insert(schema.company, {"Company": c.ifs_company, "Name": c.name, "Country": c.country,
                            "CurrencyCode": c.currency}, user, history=False)
        db.insert(schema.company_finance, {"Company": c.ifs_company, "Description": c.name,
                                    "CurrencyCode": c.currency}, user, history=False)
        for letter in CODE_PARTS:
            name = c.code_parts.get(letter)
            db.insert(schema.code_part, {"Company": c.ifs_company, "CodePart": letter,
                                  "CodeName": name or f"Code{letter}",
                                  "Description": _DESCRIPTIONS.get(name or "", f"Code part {letter}"),
                                  "CodePartUsed": name is not None}, user, history=False)
    for v in dataset.code_part_values:
        db.insert(schema.code_values[v.code_part], {"Company": v.company, names.value_prop(v.code_part): v.code,
                                    "Description": v.description, "ValidFrom": v.valid_from.date(),
                                    "ValidUntil": v.valid_until.date(), "ModifiedDate": master_data_modified},
                  user, history=False)
    for s in dataset.ifs_suppliers:
        db.insert(schema.supplier, {
            "SupplierId": s.supplier_id, "Name": s.name, "Country": s.country,
            "DefaultLanguage": s.default_language, "SupplierCategory": "Supplier",
            # A few one-person businesses, so PartyType filters have something to tell apart.
            "PartyType": "Person" if int(s.supplier_id) % 17 == 0 else "Supplier",
            "AssociationNo": s.vat_no, "Currency": s.currency, "OneTimeSupplier": False,
            "CreationDate": s.creation_date.date(), "ModifiedDate": s.modified_date,
        }, user, history=False)
        for company in s.companies:
            db.insert(schema.supplier_company, {"SupplierId": s.supplier_id, "Company": company,
                                         "PayTermId": _pick(s.supplier_id + company, _PAY_TERMS),
                                         "Currency": s.currency, "ModifiedDate": s.modified_date},
                      user, history=False)
