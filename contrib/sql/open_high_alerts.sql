-- Open HIGH and CRITICAL alerts, newest first, with readable times and the block state.
SELECT id, apex, severity, threat_type, detected, query_count, unique_subdomains, est_bytes,
       encoding, sample_qname, coalesce(block_state, '-') AS block_state
FROM v_alerts
WHERE status = 'open' AND severity IN ('HIGH', 'CRITICAL')
ORDER BY detected_ts DESC;
