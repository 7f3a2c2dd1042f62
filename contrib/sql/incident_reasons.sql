-- Each incident with its detectors one per line: which fired, at what severity, and when
-- (ISO 8601 UTC), and the MITRE ATT&CK techniques; newest incident first.
SELECT i.id, i.apex, i.severity AS incident, r.key AS detector,
       json_extract(r.value, '$.severity') AS severity,
       strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(r.value, '$.at'), 'unixepoch') AS reached,
       i.techniques
FROM incidents i, json_each(i.reasons) r
ORDER BY i.detected_ts DESC, json_extract(r.value, '$.at');
