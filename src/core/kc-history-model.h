/* kc-history-model.h: the call history as a lazy GListModel
 *
 * Newest first (start_time DESC, id DESC), read from the store a page at a
 * time and keeping only a bounded number of pages, so a list view scrolls a
 * million rows in constant memory. The pages just beyond the rows last asked
 * for are read ahead from an idle of the main loop (G_PRIORITY_DEFAULT_IDLE,
 * after GTK's layout and paint), so a view scrolling on finds them read and
 * no frame waits for the store. Changes of the store are applied at most
 * every 250 ms: calls added above the newest row as an insertion at the top,
 * anything else as a reset of the whole list. When the store fails, the
 * model logs once and shows no rows until the store changes or the filter is
 * set again.
 *
 * KcHistoryFilter is declared in kc-store.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kc-record.h"
#include "kc-store.h"

G_BEGIN_DECLS

/* One history row for list views; immutable */
#define KC_TYPE_RECORD_OBJECT (kc_record_object_get_type ())
G_DECLARE_FINAL_TYPE (KcRecordObject, kc_record_object, KC, RECORD_OBJECT, GObject)

const KcRecord *kc_record_object_get_record (KcRecordObject *self);

/* Implements GListModel, item type KC_TYPE_RECORD_OBJECT. An item stays the
 * same object for its position while its page is cached. */
#define KC_TYPE_HISTORY_MODEL (kc_history_model_get_type ())
G_DECLARE_FINAL_TYPE (KcHistoryModel, kc_history_model, KC, HISTORY_MODEL, GObject)

/* Shows every row until a filter is set. */
KcHistoryModel *kc_history_model_new        (KcStore               *store);
/* Shows the rows under FILTER (copied; NULL: every row) from the start:
 * one count of the history, where new() and set_filter() make two. */
KcHistoryModel *kc_history_model_new_filtered (KcStore               *store,
                                               const KcHistoryFilter *filter);
/* Copies the filter (NULL: every row); re-queries; emits
 * items-changed(0, old_n, new_n) */
void            kc_history_model_set_filter (KcHistoryModel        *self,
                                             const KcHistoryFilter *filter);
/* Position of the row with that call_id under the current filter, or -1.
 * A store change not yet applied is applied first, so the position is the
 * one the list shows. */
gint64          kc_history_model_find       (KcHistoryModel        *self,
                                             const char            *call_id);

G_END_DECLS
