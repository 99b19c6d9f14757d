/* kc-caller-context.h: who is calling, for the pop-up, the dashboard and
 * the history
 *
 * A number's name, best first: the PBX's directory (its own numbers), the
 * CRM's lookup, the name the PBX gave with a call (caller ID); all kept in
 * the store, so they are there after a restart and offline. Watching the
 * tracker, it keeps the PBX's names of the calls that come and looks their
 * other party up in the CRM (when one is configured) at most once a local
 * day per number, never more than one lookup at a time for a number; the
 * pop-up does not wait for it: "name-changed" says when an answer came.
 *
 * Signal "name-changed" (const char *number): the CRM's answer for NUMBER
 * arrived and changed its name or its card; NUMBER NULL: names of any
 * number may have changed (the PBX's directory was read).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kc-call-tracker.h"
#include "kc-store.h"

G_BEGIN_DECLS

#define KC_TYPE_CALLER_CONTEXT (kc_caller_context_get_type ())
G_DECLARE_FINAL_TYPE (KcCallerContext, kc_caller_context, KC, CALLER_CONTEXT, GObject)

/* lookup_template (KERIO_LOOKUP_URL) and crm_template (KERIO_CRM_URL): NULL
 * when not configured, else they pass kc_crm_check_template() */
KcCallerContext *kc_caller_context_new        (KcStore    *store,
                                               const char *lookup_template,
                                               const char *crm_template);
/* Says "name-changed" (NULL: any number's) */
void             kc_caller_context_names_changed (KcCallerContext *self,
                                                  const char      *number);
/* Learns names and starts lookups as TRACKER's calls come */
void             kc_caller_context_watch      (KcCallerContext *self,
                                               KcCallTracker   *tracker);

/* The name to show for NUMBER, or NULL; pbx_name: the one the PBX gives
 * with a call under way, newer than the one kept (may be NULL) */
char            *kc_caller_context_get_name   (KcCallerContext *self,
                                               const char      *number,
                                               const char      *pbx_name);
/* "3 calls in 7 days, last: missed yesterday 14:05": NUMBER's calls in the
 * history before NOW (Unix seconds), in the local time zone; NULL when the
 * history cannot be read */
char            *kc_caller_context_describe   (KcCallerContext *self,
                                               const char      *number,
                                               gint64           now);
/* The same for the other party of CALL, read the first time it is asked
 * and kept with the call: the history before the call, whatever happens
 * to it since; NULL before the first complete sync, when the history may
 * not hold the caller's calls yet (transfer none) */
const char      *kc_caller_context_describe_call (KcCallerContext *self,
                                                  KcCall          *call);
/* Asks the CRM who NUMBER is, unless it was asked today or is being asked;
 * extension: the operator's, for {extension} */
void             kc_caller_context_look_up    (KcCallerContext *self,
                                               const char      *number,
                                               const char      *extension);
/* Whether "Open in CRM" can be offered: a lookup or a CRM URL is set */
gboolean         kc_caller_context_has_crm    (KcCallerContext *self);
/* The page "Open in CRM" opens for NUMBER: the customer's card from the
 * lookup, else the CRM URL template filled in; an http(s) URL or NULL */
char            *kc_caller_context_get_crm_url (KcCallerContext *self,
                                                const char      *number);

G_END_DECLS
