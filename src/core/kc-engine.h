/* kc-engine.h: the client, the tracker, the sync and the store, wired
 *
 * One engine per process; the headless mode and the window are its sinks.
 * Finished live calls are written to the store at once, so the history
 * shows them before their CDR arrives (the CDR then replaces the row).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kerio/kc-kerio-client.h"
#include "kc-call-tracker.h"
#include "kc-caller-context.h"
#include "kc-config.h"
#include "kc-follow-up.h"
#include "kc-store.h"
#include "kc-sync.h"

G_BEGIN_DECLS

#define KC_TYPE_ENGINE (kc_engine_get_type ())
G_DECLARE_FINAL_TYPE (KcEngine, kc_engine, KC, ENGINE, GObject)

/* config->endpoint must be set */
KcEngine      *kc_engine_new         (const KcConfig *config,
                                      KcStore        *store);
KcKerioClient *kc_engine_get_client  (KcEngine *self);
KcCallTracker *kc_engine_get_tracker (KcEngine *self);
/* The Asterisk Manager Interface client, NULL when AMI is off */
KcAmiClient   *kc_engine_get_ami     (KcEngine *self);
KcSync        *kc_engine_get_sync    (KcEngine *self);
KcStore       *kc_engine_get_store   (KcEngine *self);
/* Who is still to be called back, for the operator's extension when one is
 * set; made on first use, as only the desktop shows it */
KcFollowUp    *kc_engine_get_follow_up (KcEngine *self);
/* Names and history of the calls' other parties, and the CRM */
KcCallerContext *kc_engine_get_caller_context (KcEngine *self);

/* Starts polling, and the periodic sync once a poll has succeeded; logs
 * the design's start-up lines. */
void           kc_engine_start       (KcEngine *self);

/* Stops the timers and logs out. */
void           kc_engine_shutdown_async  (KcEngine            *self,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
void           kc_engine_shutdown_finish (KcEngine     *self,
                                          GAsyncResult *result);

G_END_DECLS
