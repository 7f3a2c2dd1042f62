-- Apexes that received the most information (estimated payload bytes) in their alerts,
-- with their worst severity and when they were first seen.
SELECT apex,
       max(est_bytes) AS est_bytes,
       max(CASE severity WHEN 'CRITICAL' THEN 4 WHEN 'HIGH' THEN 3 WHEN 'MEDIUM' THEN 2
                         ELSE 1 END) AS worst,
       strftime('%Y-%m-%dT%H:%M:%SZ', min(first_ts), 'unixepoch') AS first_seen,
       group_concat(DISTINCT threat_type) AS threats
FROM alerts
WHERE status <> 'allowlisted'
GROUP BY apex
ORDER BY est_bytes DESC
LIMIT 20;
