"""The documented response bodies, verbatim from velstack-sms-api.txt."""

from __future__ import annotations

from typing import Any

QUICK_SMS: dict[str, Any] = {
    "status": True,
    "code": 200,
    "message": "Message sent Successfully",
    "data": {
        "summary": {
            "message_id": "550517f1-3810-4d17-bfdb-f2571d05c07c",
            "type": "Quick SMS",
            "message": "sent from the velstack api",
            "sender": "VELSTACK",
            "total_contacts": 1,
            "recipients": ["0205550368"],
            "credit_used": 1,
            "credit_left": "47.00",
        }
    },
}
GROUP_SMS: dict[str, Any] = {
    "status": True,
    "code": 200,
    "message": "Message sent Successfully",
    "data": {
        "summary": {
            "message_id": "a2500c66-5d60-4f5a-8503-2105151afdca",
            "type": "Group SMS",
            "message": "group sms sent from the velstack api",
            "sender": "VELSTACK",
            "total_contacts": 1,
            "recipients": ["0205550368"],
            "credit_used": 1,
            "credit_left": 1,
        }
    },
}
INSUFFICIENT_BALANCE = {
    "status": False,
    "message": "Insufficient balance to complete this message",
    "code": 403,
}
SERVICE_UNAVAILABLE = {"status": False, "message": "Service unavailable", "code": 503}
GROUPS: dict[str, Any] = {
    "status": True,
    "code": 200,
    "message": "Showing all groups",
    "data": {
        "Summary": [
            {"id": "a4a8da21-88f8-4395-a9df-f859f22c2dfa", "name": "V BANK", "members": 1},
            {"id": "1298d77e-fa98-4304-b513-e4e190a46e28", "name": "My Group", "members": 0},
        ],
        "collection": None,
    },
}
GROUP_ID = "d565d047-df83-4b33-a498-f9de2aca50e6"
GET_GROUP: dict[str, Any] = {
    "status": True,
    "code": 200,
    "message": "Showing a single group",
    "data": [{"id": GROUP_ID, "name": "My Group", "members": 0}],
}
CREATE_GROUP: dict[str, Any] = {
    "status": True,
    "code": 200,
    "message": "Group created successfully",
    "data": {"id": GROUP_ID, "name": "My Group", "members": 0},
}
UPDATE_GROUP = {
    "status": True,
    "code": 200,
    "message": "Group updated to Man City Supporters",
    "data": None,
}
DELETE_GROUP = {"status": True, "code": 200, "message": "Group deleted successfully", "data": None}
CONTACT_ID = "84358395-f1c7-441c-ba69-7b74f30363e5"
CREATE_CONTACT: dict[str, Any] = {
    "status": True,
    "code": 200,
    "message": "New contact created successfully",
    "data": {
        "id": CONTACT_ID,
        "first_name": "sammy",
        "last_name": "fort",
        "phone_number": "0205550368",
        "email_address": "example@example.com",
        "Group": "V BANK",
        "added_date": "2023-08-19T14:07:52.000000Z",
    },
}
_SAM = {
    "id": "2ca48c1e-9ea4-402b-8c69-f0da12692a74",
    "first_name": "Sam",
    "last_name": "Fort",
    "phone_number": "0205550368",
    "email_address": "sam@velstack.com",
    "Group": "V BANK",
    "added_date": "2023-08-19T12:41:14.000000Z",
}
_MICHAEL = {
    "id": CONTACT_ID,
    "first_name": "michael",
    "last_name": "kyeremeh",
    "phone_number": "0248297302",
    "email_address": "example@example.com",
    "Group": "V BANK",
    "added_date": "2023-08-19T14:07:52.000000Z",
}
ALL_CONTACTS: dict[str, Any] = {
    "status": True,
    "code": 200,
    "message": "Showing all contacts",
    "data": [_SAM, _MICHAEL],
}
GROUP_CONTACTS: dict[str, Any] = {
    "status": True,
    "code": 200,
    "message": "Showing contacts of V Bank",
    "data": {"results": [_SAM, {**_MICHAEL, "phone_number": "0248237302"}], "contacts": None},
}
UPDATE_CONTACT = {
    "status": True,
    "code": 200,
    "message": "Contact updated successfully",
    "data": None,
}
DELETE_CONTACT = {
    "status": True,
    "code": 200,
    "message": "Contact deleted successfully",
    "data": None,
}
REGISTER_SENDER_ID: dict[str, Any] = {
    "status": True,
    "code": 200,
    "message": "Id registered successfully",
    "data": [
        {
            "id": "VELSTACK",
            "purpose": "Software Business",
            "status": "pending",
            "date": "2023-08-19T14:49:03.000000Z",
        }
    ],
}
