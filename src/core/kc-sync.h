/* kc-sync.h: keeps the store's history in step with CallHistory.get
 *
 * At start and then every interval: reads every CDR from (the newest start
 * of the last complete sync - KC_SYNC_TRAILING_WINDOW) on, so a long call
 * whose record is written late is still caught, upserts them by call_id one
 * page (one transaction) at a time as the pages arrive, marks the history
 * complete up to the newest start read (kc_store_set_complete_until), then
 * reads the recordings of the same window and links them to their calls,
 * and with the first sync and then at most every KC_SYNC_DIRECTORY_INTERVAL
 * the PBX's directory of its numbers (kc_store_replace_directory), whose
 * failure costs the names only ("directory-changed" when it was read).
 * Names the PBX sends with CDRs are kept (kc_store_set_pbx_names).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kerio/kc-kerio-client.h"
#include "kc-store.h"

G_BEGIN_DECLS

/* Calls longer than this whose CDR appears after a later sync are the only
 * ones a sync could miss; a day is far beyond any call-centre call. */
#define KC_SYNC_TRAILING_WINDOW (24 * 60 * 60)

/* Seconds between two readings of the PBX's directory */
#define KC_SYNC_DIRECTORY_INTERVAL (60 * 60)

#define KC_TYPE_SYNC (kc_sync_get_type ())
G_DECLARE_FINAL_TYPE (KcSync, kc_sync, KC, SYNC, GObject)

/* extension / extension_digits: the direction rule (kc_classify_call) */
KcSync   *kc_sync_new        (KcKerioClient *client,
                              KcStore       *store,
                              double         interval_minutes,
                              const char    *extension,
                              guint          extension_digits);
/* Syncs now, then every interval; a sync still running is not started again */
void      kc_sync_start      (KcSync *self);
void      kc_sync_stop       (KcSync *self);

/* One sync. Logs "Fetched N call records from Kerio Operator" and
 * "Synced N new call records". Emits "synced" (guint n_new) or "failed"
 * (GError*). *n_new may be NULL. */
void      kc_sync_run_async  (KcSync              *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data);
gboolean  kc_sync_run_finish (KcSync        *self,
                              GAsyncResult  *result,
                              guint         *n_new,
                              GError       **error);

/* CDR -> history record, with the direction rule */
KcRecord *kc_sync_record_from_cdr (const KcCdr *cdr,
                                   const char  *extension,
                                   guint        extension_digits);

G_END_DECLS
