/* kc-store-call-back.h: who is still to be called back
 *
 * A missed incoming call makes its caller wait to be called back until
 * their number is reached: an answered call with it, incoming or outgoing,
 * that starts at or after the missed one, clears it by itself; the operator
 * can also mark it done. Numbers are compared on their last nine digits, so
 * +998901234567, 998901234567 and 901234567 are one caller. Kept in the
 * history's file (schema v5, kc-store.c says how), so it survives restarts
 * and every way a sync rewrites the calls; it starts with the local day this
 * version first opened the history (older missed calls stay history).
 *
 * extension: with the operator's extension (KERIO_EXTENSION) only the
 * missed calls that rang that extension count, as the operator's own to do;
 * NULL when the application watches the whole PBX (no extension set: a
 * supervisor's or a shared desk's view), where every missed incoming call
 * counts, whoever it rang. Either way any answered call with the number
 * reaches the caller, whoever took or made it: a customer a colleague has
 * spoken to since is not called again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "kc-call-back.h"
#include "kc-store.h"

G_BEGIN_DECLS

/* The callers still waiting, the most recent last attempt first. -> GPtrArray
 * of KcCallBack */
GPtrArray *kc_store_get_call_backs   (KcStore     *self,
                                      const char  *extension,
                                      GError     **error);

/* The caller KEY (kc_call_back_get_key()) has been dealt with: their missed
 * calls up to UNTIL (Unix seconds; the last attempt the operator saw) no
 * longer wait, a later one does again. */
gboolean   kc_store_mark_called_back (KcStore     *self,
                                      const char  *key,
                                      gint64       until,
                                      GError     **error);

/* *n_callers: the callers with a missed call in [since, until) (Unix
 * seconds) that still waits */
gboolean   kc_store_count_call_backs (KcStore     *self,
                                      gint64       since,
                                      gint64       until,
                                      const char  *extension,
                                      guint       *n_callers,
                                      GError     **error);

G_END_DECLS
