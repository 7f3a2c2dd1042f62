-- Which clients are behind the alerts: one row per client address, from the sources JSON.
SELECT s.value AS client,
       count(*) AS alerts,
       count(DISTINCT a.apex) AS apexes,
       group_concat(DISTINCT a.apex) AS apex_list,
       max(a.est_bytes) AS max_est_bytes
FROM alerts AS a, json_each(a.sources) AS s
WHERE a.severity IN ('HIGH', 'CRITICAL') AND a.status <> 'allowlisted'
GROUP BY s.value
ORDER BY alerts DESC, max_est_bytes DESC;
