"""The OpenAPI 3.1 document of /api/v1, written by hand next to the routes it describes."""
from __future__ import annotations


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return {"description": description, **_json(_ref("Error"))}


ERRORS = {
    "400": _error("Malformed JSON, or the body is not a JSON object."),
    "401": _error("No token, or the token is invalid or revoked."),
    "403": _error("Not allowed for this account."),
    "404": _error("Unknown id."),
    "422": _error("Missing or invalid fields; the message names them."),
    "429": _error("Too many requests (submission rate limit, or an account locked after wrong passwords)."),
}


def _errors(*codes: str) -> dict:
    return {code: ERRORS[code] for code in codes}


SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string", "description": "A message for people: what went wrong and what to do."}},
    },
    "TokenRequest": {
        "type": "object", "required": ["username", "password"],
        "properties": {"username": {"type": "string"}, "password": {"type": "string", "format": "password"}},
    },
    "User": {
        "type": "object", "required": ["id", "username", "role"],
        "properties": {
            "id": {"type": "integer"}, "username": {"type": "string"}, "full_name": {"type": "string"},
            "role": {"type": "string", "enum": ["student", "judge", "organiser", "admin"]},
        },
    },
    "Token": {
        "type": "object", "required": ["token"],
        "properties": {"token": {"type": "string", "description": "Send as 'Authorization: Bearer <token>'. Shown once; only its sha256 is stored."},
                       "user": _ref("User")},
    },
    "Problem": {
        "type": "object", "required": ["id", "code", "title"],
        "properties": {
            "id": {"type": "integer"}, "code": {"type": "string"}, "title": {"type": "string"},
            "title_en": _nullable("string"), "time_limit": {"type": "number", "description": "seconds"},
            "memory_limit": {"type": "integer", "description": "MiB"}, "max_score": {"type": "number"},
            "published": {"type": "boolean"},
        },
    },
    "Division": {
        "type": "object", "required": ["id", "code", "name", "problems"],
        "properties": {
            "id": {"type": "integer"}, "code": {"type": "string", "examples": ["B"]}, "name": {"type": "string"},
            "content": {"type": "string", "enum": ["programming", "creative"]},
            "languages": {"type": "array", "items": {"type": "string"}},
            "scratch_max_mib": _nullable("integer", description="Largest Scratch project (.sb3) file accepted on the "
                                         "problem page, MiB (1-50); null: the site setting SCRATCH_MAX_BYTES (5 MiB by default)."),
            "problems": {"type": "array", "items": _ref("Problem")},
        },
    },
    "Contest": {
        "type": "object", "required": ["id", "name", "title", "divisions"],
        "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "title": {"type": "string"},
            "year": {"type": "integer"}, "round": {"type": "string", "enum": ["city", "regional", "national"]},
            "start_at": {"type": "string", "format": "date-time"}, "end_at": {"type": "string", "format": "date-time"},
            "running": {"type": "boolean"}, "scoring": {"type": "string", "enum": ["ioi", "icpc"]},
            "freeze_minutes": {"type": "integer"},
            "divisions": {"type": "array", "items": _ref("Division")},
        },
    },
    "ContestList": {
        "type": "object", "required": ["contests"],
        "properties": {"contests": {"type": "array", "items": _ref("Contest")}},
    },
    "SubmissionCreate": {
        "type": "object", "required": ["problem_id", "language", "source"],
        "properties": {
            "problem_id": {"type": "integer"},
            "language": {"type": "string", "examples": ["cpp", "python3", "pascal", "c", "java", "cpp20"]},
            "source": {"type": "string", "maxLength": 65536},
        },
    },
    "SubmissionList": {
        "type": "object", "required": ["submissions"],
        "properties": {"submissions": {"type": "array", "items": _ref("Submission"),
                                       "description": "each without its `tests` list"}},
    },
    "SubmissionCreated": {
        "type": "object", "required": ["id"],
        "properties": {"id": {"type": "integer"}, "status": {"type": "string"}, "url": {"type": "string"}},
    },
    "TestResult": {
        "type": "object", "required": ["name", "verdict"],
        "properties": {
            "index": {"type": "integer", "description": "0-based position in the test plan"},
            "name": {"type": "string"}, "group": {"type": "string"},
            "verdict": {"type": "string", "examples": ["AC", "WA", "TLE", "MLE", "RE", "OLE", "SE"]},
            "time": _nullable("number", description="CPU seconds"), "wall_time": _nullable("number", description="seconds"),
            "memory": _nullable("integer", description="KiB"), "score": _nullable("number"),
        },
    },
    "Submission": {
        "type": "object", "required": ["id", "status", "verdict", "score"],
        "properties": {
            "id": {"type": "integer"}, "user_id": {"type": "integer"}, "problem_id": {"type": "integer"},
            "language": {"type": "string"},
            "status": {"type": "string", "enum": ["queued", "judging", "done"]},
            "verdict": _nullable("string", description="AC, WA, TLE, MLE, RE, OLE, CE, SE; null until done"),
            "score": _nullable("number"), "max_score": _nullable("number"),
            "time": _nullable("number", description="CPU seconds, max over tests"),
            "memory": _nullable("integer", description="KiB, max over tests"),
            "compile_output": _nullable("string"),
            "created_at": {"type": "string", "format": "date-time"},
            "started_at": _nullable("string", format="date-time"),
            "finished_at": _nullable("string", format="date-time"),
            "queue_wait": _nullable("number", description="seconds from submission to the start of judging"),
            "tests": {"type": "array", "items": _ref("TestResult")},
        },
    },
    "ScoreboardCell": {
        "type": "object", "required": ["problem_id", "score"],
        "properties": {
            "problem_id": {"type": "integer"}, "score": {"type": "number"}, "solved": {"type": "boolean"},
            "attempts": {"type": "integer"}, "minutes": _nullable("integer"),
            "pending": {"type": "integer", "description": "submissions hidden by the freeze or still judged"},
        },
    },
    "ScoreboardRow": {
        "type": "object", "required": ["rank", "user_id", "name", "cells"],
        "properties": {
            "rank": {"type": "integer"}, "user_id": {"type": "integer"}, "name": {"type": "string"},
            "unit": {"type": "string"}, "total": {"type": "number"}, "solved": {"type": "integer"},
            "penalty": {"type": "integer"}, "cells": {"type": "array", "items": _ref("ScoreboardCell")},
        },
    },
    "Scoreboard": {
        "type": "object", "required": ["contest_id", "division", "rows", "problems"],
        "properties": {
            "contest_id": {"type": "integer"}, "division": {"type": "string"},
            "scoring": {"type": "string", "enum": ["ioi", "icpc"]},
            "frozen": {"type": "boolean", "description": "true when the freeze hides recent submissions"},
            "problems": {"type": "array", "items": {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "code": {"type": "string"}, "title": {"type": "string"},
                               "max_score": {"type": "number"}},
            }},
            "rows": {"type": "array", "items": _ref("ScoreboardRow")},
        },
    },
}

ID_PARAM = {"in": "path", "required": True, "schema": {"type": "integer"}}

_RESULT_ROW = {"username": {"type": "string", "description": "For a team entry, the members joined by ', '."},
               "full_name": {"type": "string"}, "unit": {"type": "string"},
               "score": {"type": "number"}, "rank": {"type": "integer"},
               "reason": {"type": "string", "description": "Why this outcome, e.g. 'score 63 < 65, the cutoff for third'."}}
SCHEMAS["TallyRow"] = {
    "type": "object", "required": ["username", "full_name", "unit", "score", "rank", "award", "reason"],
    "properties": {**_RESULT_ROW, "award": {"type": ["string", "null"], "enum": ["first", "second", "third", "consolation", None]}},
}
SCHEMAS["QualifierRow"] = {
    "type": "object", "required": ["username", "full_name", "unit", "score", "rank", "qualified", "reason"],
    "properties": {**_RESULT_ROW, "qualified": {"type": "boolean"}},
}

# -- creative entries (webapp/api/creative.py) -----------------------------------------------------
_ENTRY_FIELDS = {
    "title": {"type": "string", "maxLength": 200}, "summary": {"type": "string", "maxLength": 5000},
    "category": {"type": "string", "enum": ["software", "web", "mobile", "game", "scratch", "other"]},
    "mentor_name": {"type": "string"}, "mentor_school": {"type": "string"},
    "mentor_phone": {"type": "string", "description": "digits, spaces, + - ( ) and dots; 6-32 characters"},
    "mentor": {"type": "object", "description": "alternative to the mentor_* fields (JSON only)",
               "properties": {"name": {"type": "string"}, "school": {"type": "string"}, "phone": {"type": "string"}}},
    "video_url": {"type": "string", "description": "http(s) URL or empty"},
    "repo_url": {"type": "string", "description": "http(s) URL or empty"},
    "declared_not_awarded": {"type": "boolean", "description": "must be true: the product never won a national or international prize"},
}
_USERNAMES = {"oneOf": [{"type": "array", "items": {"type": "string"}},
                        {"type": "string", "description": "comma-separated"}]}
_FILE_PARTS = {kind: {"type": "array", "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                      "description": desc}
               for kind, desc in (("description", "PDF"), ("product", "zip archive"),
                                  ("sb3", "Scratch 3 project (zip with project.json)"), ("image", "PNG or JPEG"))}
SCHEMAS.update({
    "CreativeEntryCreate": {
        "type": "object", "required": ["title", "declared_not_awarded"],
        "description": "division_id, or contest_id and division (the code, e.g. D2). As multipart/form-data the "
                       "same fields as strings, plus files under the kind names.",
        "properties": {"division_id": {"type": "integer"}, "contest_id": {"type": "integer"},
                       "division": {"type": "string", "examples": ["D2"]},
                       "teammates": {**_USERNAMES, "description": "usernames of the other members"}, **_ENTRY_FIELDS},
    },
    "CreativeEntryCreateMultipart": {
        "type": "object", "required": ["title", "declared_not_awarded"],
        "properties": {"division_id": {"type": "integer"}, "contest_id": {"type": "integer"},
                       "division": {"type": "string"}, "teammates": {"type": "string"},
                       **{k: v for k, v in _ENTRY_FIELDS.items() if k != "mentor"}, **_FILE_PARTS},
    },
    "CreativeEntryUpdate": {
        "type": "object",
        "description": "PATCH: the fields given; PUT: every field (title and declared_not_awarded required).",
        "properties": {"members": {**_USERNAMES, "description": "the whole member list"},
                       "teammates": {**_USERNAMES, "description": "the members other than the caller"}, **_ENTRY_FIELDS},
    },
    "CreativeFiles": {"type": "object", "properties": _FILE_PARTS,
                      "description": "one or more files; the field name is the kind"},
    "CreativeEntryFile": {
        "type": "object", "required": ["id", "kind", "name", "size"],
        "properties": {"id": {"type": "integer"}, "kind": {"type": "string", "enum": ["description", "product", "sb3", "image"]},
                       "name": {"type": "string"}, "size": {"type": "integer", "description": "bytes"},
                       "sha256": {"type": "string"}, "uploaded_at": {"type": "string", "format": "date-time"},
                       "url": {"type": "string", "description": "download (attachment)"}},
    },
    "CreativeEntry": {
        "type": "object", "required": ["id", "division_id", "title", "members", "files", "complete", "locked"],
        "properties": {
            "id": {"type": "integer"}, "contest_id": {"type": "integer"}, "division_id": {"type": "integer"},
            "division": {"type": "string"}, "title": {"type": "string"}, "summary": {"type": "string"},
            "category": _ENTRY_FIELDS["category"], "mentor": _ENTRY_FIELDS["mentor"],
            "video_url": {"type": "string"}, "repo_url": {"type": "string"}, "declared_not_awarded": {"type": "boolean"},
            "members": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "username": {"type": "string"}, "full_name": {"type": "string"}}}},
            "files": {"type": "array", "items": _ref("CreativeEntryFile")},
            "complete": {"type": "boolean"},
            "missing": {"type": "array", "items": {"type": "string", "enum": ["title", "summary", "declaration", "description", "product"]}},
            "deadline": {"type": "string", "format": "date-time"},
            "locked": {"type": "boolean", "description": "true from the deadline on: members can no longer change it"},
            "editable": {"type": "boolean"},
            "result": {"type": ["object", "null"], "description": "only for members, once results are published",
                       "properties": {"score": _nullable("number"), "rank": _nullable("integer"),
                                      "award": _nullable("string", description="first, second, third, consolation or null")}},
            "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
        },
    },
    "CreativeEntryList": {"type": "object", "required": ["entries"],
                          "properties": {"entries": {"type": "array", "items": _ref("CreativeEntry")}}},
    "CreativeFilesAdded": {"type": "object", "required": ["files"],
                           "properties": {"files": {"type": "array", "items": _ref("CreativeEntryFile")},
                                          "entry": _ref("CreativeEntry")}},
})


def _creative_entry_paths(bearer: list) -> dict:
    entry_id = {"name": "entry_id", **ID_PARAM}
    too_large = {"413": _error("The upload is larger than the division allows.")}
    wrong_type = {"415": _error("Wrong content type (JSON vs multipart/form-data); the message says which.")}
    update = {
        "security": bearer, "parameters": [entry_id],
        "requestBody": {"required": True, **_json(_ref("CreativeEntryUpdate"))},
        "responses": {"200": {"description": "The entry.", **_json(_ref("CreativeEntry"))},
                      **_errors("400", "401", "403", "404", "422"), **wrong_type},
    }
    return {
        "/creative/entries": {
            "get": {
                "operationId": "listCreativeEntries", "security": bearer, "summary": "The caller's creative entries",
                "description": "Organisers may pass division_id to list every entry of a division. Judges get 403: "
                               "their assigned entries are at /creative/assigned.",
                "parameters": [{"name": "division_id", "in": "query", "required": False, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "The entries.", **_json(_ref("CreativeEntryList"))},
                              **_errors("401", "403", "404", "422")},
            },
            "post": {
                "operationId": "createCreativeEntry", "security": bearer, "summary": "Create the team's entry",
                "description": "A student of the division's level; teammates by username (the division's team cap). "
                               "Members are admitted to the division. Refused after the deadline (403). With "
                               "multipart/form-data, files come along (field name = kind): all or nothing.",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": _ref("CreativeEntryCreate")},
                    "multipart/form-data": {"schema": _ref("CreativeEntryCreateMultipart")}}},
                "responses": {"201": {"description": "Created.", **_json(_ref("CreativeEntry")),
                                      "headers": {"Location": {"schema": {"type": "string"}}}},
                              **_errors("400", "401", "403", "404", "422"), **too_large},
            },
        },
        "/creative/entries/{entry_id}": {
            "get": {
                "operationId": "getCreativeEntry", "security": bearer, "summary": "One entry (its team, organisers)",
                "parameters": [entry_id],
                "responses": {"200": {"description": "The entry.", **_json(_ref("CreativeEntry"))},
                              **_errors("401", "403", "404")},
            },
            "patch": {"operationId": "patchCreativeEntry", "summary": "Change some fields of an entry", **update},
            "put": {"operationId": "putCreativeEntry", "summary": "Set every field of an entry", **update},
        },
        "/creative/entries/{entry_id}/files": {
            "post": {
                "operationId": "uploadCreativeFiles", "security": bearer, "summary": "Upload files to an entry",
                "description": "Checked by content (PDF, zip with safe member paths, .sb3 with project.json, PNG/JPEG), "
                               "per-file and per-entry limits of the division; all or nothing. Refused after the deadline.",
                "parameters": [entry_id],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": _ref("CreativeFiles")}}},
                "responses": {"201": {"description": "Stored.", **_json(_ref("CreativeFilesAdded"))},
                              **_errors("400", "401", "403", "404", "422"), **too_large, **wrong_type},
            },
        },
        "/creative/entries/{entry_id}/files/{file_id}": {
            "get": {
                "operationId": "downloadCreativeFile", "security": bearer, "summary": "Download an entry file",
                "description": "The team, judges assigned to the entry and organisers; always an attachment "
                               "(application/octet-stream, nosniff).",
                "parameters": [entry_id, {"name": "file_id", **ID_PARAM}],
                "responses": {"200": {"description": "The file.", "content": {"application/octet-stream": {
                    "schema": {"type": "string", "contentMediaType": "application/octet-stream"}}}},
                    **_errors("401", "403", "404")},
            },
            "delete": {
                "operationId": "deleteCreativeFile", "security": bearer, "summary": "Remove an entry file",
                "description": "The team until the division's deadline, organisers always (audited).",
                "parameters": [entry_id, {"name": "file_id", **ID_PARAM}],
                "responses": {"204": {"description": "Removed."}, **_errors("401", "403", "404")},
            },
        },
    }


def build_document(server_url: str = "/api/v1") -> dict:
    bearer = [{"bearerAuth": []}]
    paths = {
        "/token": {
            "post": {
                "operationId": "createToken", "summary": "Exchange username and password for a token",
                "description": "Shares the site's login lock: too many wrong passwords lock the account (429).",
                "security": [],
                "requestBody": {"required": True, **_json(_ref("TokenRequest"))},
                "responses": {"201": {"description": "A new token.", **_json(_ref("Token"))}, **_errors("400", "401", "422", "429")},
            },
            "delete": {
                "operationId": "revokeToken", "summary": "Revoke the token of this request", "security": bearer,
                "responses": {"204": {"description": "Revoked."}, **_errors("401")},
            },
        },
        "/me": {
            "get": {
                "operationId": "getMe", "summary": "The account of the token", "security": bearer,
                "responses": {"200": {"description": "The caller.", **_json(_ref("User"))}, **_errors("401")},
            },
        },
        "/contests": {
            "get": {
                "operationId": "listContests", "security": bearer,
                "summary": "Contests visible to the caller, with divisions and problems",
                "description": "Organisers and judges see every contest; a student sees the contests and divisions they "
                               "are admitted to, and only published problems once the contest has started.",
                "responses": {"200": {"description": "The contests.", **_json(_ref("ContestList"))}, **_errors("401")},
            },
        },
        "/contests/{contest_id}": {
            "get": {
                "operationId": "getContest", "security": bearer, "summary": "One contest",
                "parameters": [{"name": "contest_id", **ID_PARAM}],
                "responses": {"200": {"description": "The contest.", **_json(_ref("Contest"))}, **_errors("401", "403", "404")},
            },
        },
        "/contests/{contest_id}/scoreboard": {
            "get": {
                "operationId": "getScoreboard", "security": bearer, "summary": "Scoreboard of one division",
                "description": "Public to every account, as the web page; frozen in the last freeze_minutes of the "
                               "contest for everybody but organisers.",
                "parameters": [
                    {"name": "contest_id", **ID_PARAM},
                    {"name": "division", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "Division code (bảng), e.g. B. Optional when the contest has one programming division."},
                ],
                "responses": {"200": {"description": "The ranking.", **_json(_ref("Scoreboard"))},
                              **_errors("401", "404", "422")},
            },
        },
        "/submissions": {
            "get": {
                "operationId": "listSubmissions", "security": bearer, "summary": "Submissions, newest first",
                "description": "A student's own; organisers and judges see everybody's (filter with user_id). "
                               "Without per-test results.",
                "parameters": [
                    {"name": name, "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}}
                    for name in ("problem_id", "contest_id", "user_id", "limit")
                ],
                "responses": {"200": {"description": "The submissions.", **_json(_ref("SubmissionList"))},
                              **_errors("401", "403", "422")},
            },
            "post": {
                "operationId": "createSubmission", "security": bearer, "summary": "Submit a solution",
                "description": "Judged asynchronously: poll GET /submissions/{submission_id} until status is done.",
                "requestBody": {"required": True, **_json(_ref("SubmissionCreate"))},
                "responses": {
                    "201": {"description": "Stored and queued.", **_json(_ref("SubmissionCreated")),
                            "headers": {"Location": {"schema": {"type": "string"}}}},
                    **_errors("400", "401", "403", "404", "422", "429"),
                },
            },
        },
        "/submissions/{submission_id}": {
            "get": {
                "operationId": "getSubmission", "security": bearer, "summary": "A submission and its per-test results",
                "description": "Only its owner, organisers and judges.",
                "parameters": [{"name": "submission_id", **ID_PARAM}],
                "responses": {"200": {"description": "The submission.", **_json(_ref("Submission"))}, **_errors("401", "403", "404")},
            },
        },
        "/results/divisions/{division_id}/tally": {
            "get": {
                "operationId": "getResultTally", "security": bearer, "summary": "Prize tally of one division (organisers)",
                "description": "Live tally with the division's prize rule: one object per ranked entrant, best first.",
                "parameters": [{"name": "division_id", **ID_PARAM}],
                "responses": {"200": {"description": "The tally.", **_json({"type": "array", "items": _ref("TallyRow")})},
                              **_errors("401", "403", "404", "422")},
            },
        },
        "/results/divisions/{division_id}/scores": {
            "post": {
                "operationId": "importResultScores", "security": bearer,
                "summary": "Import external scores of a division (organisers)",
                "description": "For a division judged elsewhere: a CSV/XLSX with the columns username,score (or "
                               "full name, school, score). All or nothing; a score replaces the user's earlier "
                               "imported one. Refused (422) once the division's results are locked.",
                "parameters": [{"name": "division_id", **ID_PARAM}],
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"},
                                   "reason": {"type": "string", "maxLength": 500, "description": "kept in the audit log"}}}}}},
                "responses": {"200": {"description": "Imported.", **_json({
                                  "type": "object", "required": ["division", "imported", "replaced"],
                                  "properties": {"division": {"type": "string"}, "imported": {"type": "integer"},
                                                 "replaced": {"type": "integer"}}})},
                              "422": {"description": "The file or some rows are unusable; nothing was imported.",
                                      **_json({"type": "object", "required": ["error"], "properties": {
                                          "error": {"type": "string"},
                                          "errors": {"type": "array", "items": {"type": "object", "properties": {
                                              "row": {"type": "integer"}, "column": {"type": "string"},
                                              "message": {"type": "string"}}}}}})},
                              **_errors("400", "401", "403", "404")},
            },
        },
        "/results/contests/{contest_id}/qualifiers": {
            "get": {
                "operationId": "getQualifiers", "security": bearer, "summary": "Qualifier selection (organisers)",
                "description": "With the contest's qualifier rule; divisions in the rule's order, best first.",
                "parameters": [{"name": "contest_id", **ID_PARAM}],
                "responses": {"200": {"description": "Every ranked entrant, qualified or not.",
                                      **_json({"type": "array", "items": _ref("QualifierRow")})},
                              **_errors("401", "403", "404", "422")},
            },
        },
        "/openapi.json": {
            "get": {
                "operationId": "getOpenApi", "security": [], "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1 document.", "content": {"application/json": {"schema": {"type": "object"}}}}},
            },
        },
    }
    paths.update(creative_judging_paths(bearer))
    paths.update(_creative_entry_paths(bearer))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tin học trẻ contest API", "version": "1.0.0",
            "description": "JSON API of the Tin học trẻ (Young Informatics) contest site. Errors are "
                           "{\"error\": message} with the HTTP status that fits. Times are UTC (ISO 8601).",
        },
        "servers": [{"url": server_url}],
        "security": bearer,
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A token from POST /token."}},
        },
    }


# -- creative products: judges ------------------------------------------------------------------------
SCHEMAS.update({
    "Criterion": {
        "type": "object", "required": ["name", "max_points"],
        "properties": {"name": {"type": "string"}, "description": {"type": "string"},
                       "max_points": {"type": "number"}, "weight": {"type": "number"}},
    },
    "JudgeSheet": {
        "type": "object", "required": ["status", "criteria"],
        "properties": {
            "status": {"type": "string", "enum": ["draft", "submitted"], "description": "submitted = locked"},
            "criteria": {"type": "object", "additionalProperties": {"type": "number"}, "description": "points per criterion name"},
            "comment": {"type": "string"},
            "total": _nullable("number", description="weighted total 0..100 once every criterion has points"),
            "updated_at": _nullable("string", format="date-time"),
        },
    },
    "AssignedEntry": {
        "type": "object", "required": ["entry_id", "round", "title", "files", "criteria", "sheet"],
        "description": "In blind mode `members` and `mentor` are absent.",
        "properties": {
            "entry_id": {"type": "integer"}, "round": {"type": "integer", "enum": [1, 2]},
            "contest_id": {"type": "integer"},
            "division": {"type": "object", "properties": {"id": {"type": "integer"}, "code": {"type": "string"}}},
            "title": {"type": "string"}, "summary": {"type": "string"}, "category": {"type": "string"},
            "video_url": _nullable("string"), "repo_url": _nullable("string"), "blind": {"type": "boolean"},
            "files": {"type": "array", "description": "without uploaded names; download with the url",
                      "items": {"type": "object", "required": ["id", "kind", "size", "url"], "properties": {
                          "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["description", "product", "sb3", "image"]},
                          "size": {"type": "integer"}, "url": {"type": "string"}}}},
            "members": {"type": "array", "items": {"type": "object", "properties": {
                "username": {"type": "string"}, "full_name": {"type": "string"}, "school": _nullable("string")}}},
            "mentor": {"type": ["object", "null"], "properties": {"name": {"type": "string"}, "school": {"type": "string"}}},
            "criteria": {"type": "array", "items": _ref("Criterion")},
            "sheet": {"oneOf": [_ref("JudgeSheet"), {"type": "null"}]},
        },
    },
    "AssignedEntryList": {
        "type": "object", "required": ["entries"],
        "properties": {"entries": {"type": "array", "items": _ref("AssignedEntry")}},
    },
    "ScoreSheetPut": {
        "type": "object", "required": ["criteria"],
        "properties": {
            "criteria": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0},
                         "description": "points per criterion name, each within the criterion's max_points",
                         "examples": [{"Ý tưởng và tính sáng tạo": 25, "Trình bày": 15}]},
            "comment": {"type": "string"},
            "submit": {"type": "boolean", "default": False,
                       "description": "true submits (every criterion needed) and locks the sheet; false saves a draft"},
            "round": {"type": "integer", "enum": [1, 2], "description": "default: the latest round the judge is assigned"},
        },
    },
})


def creative_judging_paths(bearer: list) -> dict:
    return {
        "/creative/assigned": {
            "get": {
                "operationId": "listAssignedEntries", "security": bearer,
                "summary": "Entries assigned to the calling judge, with the rubric and the judge's sheet",
                "responses": {"200": {"description": "The entries.", **_json(_ref("AssignedEntryList"))}, **_errors("401", "403")},
            },
        },
        "/creative/entries/{entry_id}/score": {
            "put": {
                "operationId": "putScoreSheet", "security": bearer, "summary": "Save or submit a score sheet",
                "description": "Only a judge assigned to the entry. A submitted sheet is locked: 409 until an organiser "
                               "unlocks it. Points outside 0..max_points, unknown criterion names, or a submit with "
                               "a criterion missing: 422.",
                "parameters": [{"name": "entry_id", **ID_PARAM}],
                "requestBody": {"required": True, **_json(_ref("ScoreSheetPut"))},
                "responses": {"200": {"description": "The entry with the saved sheet.", **_json(_ref("AssignedEntry"))},
                              "409": _error("The sheet is submitted and locked."),
                              **_errors("400", "401", "403", "404", "422")},
            },
        },
    }
