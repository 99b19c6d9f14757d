/* kc-store-private.h: for the store's other files
 *
 * Features kept apart from kc-store.c (each in a file of its own) use the
 * store's connection through these: statements prepared once and kept,
 * steps whose errors say what failed the way the store's own do, and the
 * store's transactions. Not for use outside src/core/kc-store-*.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "kc-store.h"

G_BEGIN_DECLS

/* "KCTI": marks the file as ours, so a foreign database is never migrated */
#define KC_STORE_APPLICATION_ID 0x4B435449

/* A one-off statement with a single integer answer (0 when it fails) */
gboolean      kc_store_query_int         (KcStore     *self,
                                          const char  *sql,
                                          gint64      *value,
                                          GError     **error);
/* One-off statements, no answer */
gboolean      kc_store_exec_sql          (KcStore     *self,
                                          const char  *sql,
                                          GError     **error);

/* Brings the file's schema to the newest version (kc-store-schema.c), in
 * one transaction; a file of a newer version is refused */
gboolean      kc_store_migrate           (KcStore  *self,
                                          GError  **error);

/* A statement kept for the store's life (a reset one, its bindings
 * cleared, when it comes from the cache): declare it with
 * g_autoptr (KcStoreStmt) so that it is reset when it goes out of scope. */
typedef sqlite3_stmt KcStoreStmt;

void          kc_store_stmt_release      (KcStoreStmt *stmt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcStoreStmt, kc_store_stmt_release)

KcStoreStmt  *kc_store_prepare_cached    (KcStore     *self,
                                          const char  *sql,
                                          GError     **error);
/* *row: whether a row came back (FALSE when the statement is done) */
gboolean      kc_store_step              (KcStore      *self,
                                          sqlite3_stmt *stmt,
                                          gboolean     *row,
                                          GError      **error);
gboolean      kc_store_begin             (KcStore  *self,
                                          GError  **error);
gboolean      kc_store_commit            (KcStore  *self,
                                          GError  **error);
/* Rolls back the transaction under way, if any */
void          kc_store_rollback          (KcStore *self);

/* Every row under FILTER (NULL: all), newest first, in one statement, as
 * kc_store_query_history() reads them: step it and take each row with
 * kc_store_record_from_stmt(). */
KcStoreStmt  *kc_store_prepare_history   (KcStore                *self,
                                          const KcHistoryFilter  *filter,
                                          GError                **error);
KcRecord     *kc_store_record_from_stmt  (KcStoreStmt *stmt);

G_END_DECLS
