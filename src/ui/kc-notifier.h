/* kc-notifier.h: the screen-pop, a desktop notification per incoming call
 *
 * A new incoming call raises a notification at once; the same notification
 * follows the call: updated in place when it is answered, closed when it ends
 * answered, turned into a lasting "Missed call" when it ends unanswered.
 * Outgoing calls raise nothing. With a caller context, the body names the
 * caller and says their history before this call, and is updated in place
 * when the CRM's answer arrives; "Open in CRM" is offered when the CRM has
 * a page for the caller.
 *
 * Signals:
 *   "show-call"   (const char *call_id)  the user clicked Show, or the pop-up
 *   "copy-number" (const char *number)   the user clicked Copy number
 *   "open-url"    (const char *url)      the user clicked Open in CRM: the
 *                                        caller's page in the CRM, http(s)
 *   "missed-call" (KcCall *call)         an incoming call ended unanswered;
 *                                        emitted while paused too
 *   "missed-call-withdrawn" (KcCall *call)  the PBX's CDR showed that a call
 *                                        "missed-call" told of was answered;
 *                                        its "Missed call" pop-up is closed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "core/kc-call-tracker.h"
#include "core/kc-caller-context.h"

G_BEGIN_DECLS

#define KC_TYPE_NOTIFIER (kc_notifier_get_type ())
G_DECLARE_FINAL_TYPE (KcNotifier, kc_notifier, KC, NOTIFIER, GObject)

KcNotifier *kc_notifier_new           (KcCallTracker *tracker);
/* Names, history and the CRM for the pop-ups; NULL: the PBX's name only */
void        kc_notifier_set_caller_context (KcNotifier      *self,
                                            KcCallerContext *context);
/* While paused no new pop-up is raised; those already up still follow their
 * call, and "missed-call" is still emitted. */
void        kc_notifier_set_paused    (KcNotifier    *self,
                                       gboolean       paused);
gboolean    kc_notifier_get_paused    (KcNotifier    *self);
/* FALSE once it has found that no notification server answers; TRUE again
 * when one does (property "available", notified on change) */
gboolean    kc_notifier_get_available (KcNotifier    *self);

G_END_DECLS
