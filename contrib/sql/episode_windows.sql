-- The window statistics around one alert's episode (set :id, e.g. sqlite3 -cmd '.param set :id 1').
SELECT w.apex,
       strftime('%Y-%m-%dT%H:%M:%SZ', w.window_start_ts, 'unixepoch') AS window_start,
       w.query_count, w.subdomain_query_count, w.unique_subdomains, w.nxdomain_count,
       w.max_label_len, w.max_qname_len, round(w.mean_entropy, 2) AS mean_entropy,
       w.est_bytes, w.qtype_counts
FROM alerts AS a
JOIN apex_window_stats AS w
  ON w.apex = a.apex
 AND w.window_end_ts >= a.first_ts - 300
 AND w.window_start_ts <= a.last_ts + 300
WHERE a.id = coalesce(:id, (SELECT max(id) FROM alerts))
ORDER BY w.window_start_ts;
