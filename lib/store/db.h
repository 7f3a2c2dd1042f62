/* SPDX-License-Identifier: BSD-2-Clause */
/**
 * @file db.h
 * @brief The database file for the store (private to lib/store): schema and migrations,
 * opening, the statements prepared once.
 */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/* SQL for the rank of an alert severity x (1 LOW .. 4 CRITICAL; 0 for anything else), for
 * the schema's triggers and report's --severity */
#define DX_SQL_RANK(x)                                                                           \
	"(CASE " x " WHEN 'LOW' THEN 1 WHEN 'MEDIUM' THEN 2 WHEN 'HIGH' THEN 3 WHEN 'CRITICAL' " \
	"THEN 4 ELSE 0 END)"

/** The store's statements, prepared once by dx_db_prepare(). */
enum dx_db_stmt {
	DX_DB_RUN_BEGIN,
	DX_DB_RUN_END,
	DX_DB_ALERT_PUT,
	DX_DB_ALERT_REFRESH,
	DX_DB_WINDOW,
	DX_DB_STATS,
	DX_DB_BLOCK_INS,
	DX_DB_BLOCK_UPD,
	DX_DB_STMTS
};

/** sqlite3_exec() without callbacks: DX_OK or DX_ESTORE. */
int dx_db_exec(sqlite3 *db, const char *sql);

/**
 * Open path read-write (creating it), with WAL, synchronous NORMAL (sync) or OFF, foreign keys
 * on and extended result codes, and refuse it if PRAGMA quick_check finds damaged pages. A
 * 2 s busy timeout is set for what follows (migration). DX_ESTORE with one line in err naming
 * the file; *db is then still to be closed.
 */
int dx_db_open(sqlite3 **db, const char *path, bool sync, char *err);

/** Bring db to schema version target (at most DX_STORE_VERSION) in one transaction, and
 * recreate the views when target is the current version. */
int dx_db_migrate(sqlite3 *db, int target, char *err, const char *path);

/** Create path at schema version (1..DX_STORE_VERSION) and close it: for migration tests. */
int dx_db_create(const char *path, int version, char *err);

/** Prepare every statement of enum dx_db_stmt into stmt. */
int dx_db_prepare(sqlite3 *db, sqlite3_stmt *stmt[DX_DB_STMTS], const char *path, char *err);

/** The one integer sql (a constant query) returns, 0 if none. */
int64_t dx_db_max_id(sqlite3 *db, const char *sql);
