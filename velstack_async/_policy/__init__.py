"""The sending policy: send-once keys, suppressions, send windows, spend and frequency caps.

`policy.SendingPolicy` holds the settings and a store (`sqlite_store`,
`redis_store`); `sending.send_sms` applies it to a single send; `campaign` to a
campaign (the engine's admission and budget ports); `suppressions.SuppressionList`
edits the opt-outs. Nothing is imported here: a program without a policy loads none
of it (callers import the modules they use).
"""
