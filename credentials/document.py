"""The Open Badges 3.0 documents: the OpenBadgeCredential a student receives and the
BitstringStatusListCredential that says which are revoked. Plain dicts built from plain
values (the achievement snapshot), so that what is signed is easy to read and to test.

https://www.imsglobal.org/spec/ob/v3p0/ (OpenBadgeCredential, Achievement, Alignment,
ResultDescription, Result); https://www.w3.org/TR/vc-bitstring-status-list/
"""

from __future__ import annotations

from datetime import UTC, datetime

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def timestamp(moment: datetime) -> str:
    """XML Schema dateTime in UTC, whole seconds (the JWT's nbf has no fractions)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def open_badge_credential(
    *,
    credential_id: str,
    issuer_id: str,
    issuer_name: str,
    issued_at: datetime,
    subject_id: str,
    achievement: dict,
    status_entry: dict,
) -> dict:
    """The credential with its JWT claims (iss, jti, nbf, sub), ready to sign.

    `achievement` is the snapshot services.py takes: course id, url, name, description,
    language, track, institution, holder, and competences with framework, code, name and
    the level the course's curriculum aims at."""
    valid_from = timestamp(issued_at)
    achievement_id = achievement["url"]
    descriptions, results = [], []
    for competence in achievement["competences"]:
        description_id = (
            f"{achievement_id}#competence-{competence['framework']}-{competence['code']}"
        )
        alignment = {
            "type": ["Alignment"],
            "targetType": "ceasn:Competency",
            "targetName": competence["name"],
            "targetCode": competence["code"],
            "targetFramework": competence["framework_name"],
            "targetUrl": competence["url"],
        }
        description = {
            "id": description_id,
            "type": ["ResultDescription"],
            "name": f"{competence['framework_name']} {competence['code']} {competence['name']}",
            "resultType": "RubricCriterionLevel",
            "alignment": [alignment],
            "rubricCriterionLevel": [
                {
                    "id": f"{description_id}-level-{level['number']}",
                    "type": ["RubricCriterionLevel"],
                    "name": level["name"],
                    "level": str(level["number"]),
                }
                for level in competence["levels"]
            ],
        }
        descriptions.append(description)
        if competence.get("target_level") is not None:
            results.append(
                {
                    "type": ["Result"],
                    "resultDescription": description_id,
                    "achievedLevel": f"{description_id}-level-{competence['target_level']}",
                    "alignment": [alignment],
                }
            )
    subject = {
        "id": subject_id,
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": achievement["holder"],
                "identityType": "name",
                "hashed": False,
            }
        ],
        "achievement": {
            "id": achievement_id,
            "type": ["Achievement"],
            "achievementType": "Course",
            "name": achievement["name"],
            "description": achievement["description"] or achievement["name"],
            "criteria": {"narrative": achievement["criteria"]},
            "inLanguage": achievement["language"],
            "alignment": [d["alignment"][0] for d in descriptions],
            "resultDescription": descriptions,
            "tag": [tag for tag in (achievement["track"],) if tag],
            "creator": {
                "id": issuer_id,
                "type": ["Profile"],
                "name": issuer_name,
            },
        },
        "result": results,
    }
    if achievement.get("institution"):
        # where the student learned: their institution, as the issuer's "source"
        subject["source"] = {
            "id": f"{issuer_id}/institutions/{achievement['institution']['code']}",
            "type": ["Profile"],
            "name": achievement["institution"]["name"],
        }
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement["name"],
        "issuer": {"id": issuer_id, "type": ["Profile"], "name": issuer_name},
        "validFrom": valid_from,
        "credentialSubject": subject,
        "credentialStatus": status_entry,
        # JWT claims (OB 3.0 JSON Web Token proof)
        "iss": issuer_id,
        "jti": credential_id,
        "nbf": int(issued_at.timestamp()),
        "sub": subject_id,
    }


def status_entry(*, list_url: str, index: int) -> dict:
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    *, list_url: str, issuer_id: str, issuer_name: str, issued_at: datetime, encoded_list: str
) -> dict:
    subject_id = f"{list_url}#list"
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": issuer_id, "name": issuer_name},
        "validFrom": timestamp(issued_at),
        "credentialSubject": {
            "id": subject_id,
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list,
        },
        "iss": issuer_id,
        "jti": list_url,
        "nbf": int(issued_at.timestamp()),
        "sub": subject_id,
    }
