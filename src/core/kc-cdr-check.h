/* kc-cdr-check.h: the PBX's own word on calls that seemed missed
 *
 * What a poll sees of a call is partial: a call answered and hung up
 * between two polls, or taken at another extension of a ring group, looks
 * the same as one nobody answered. The CDR the PBX writes when the call
 * ends is the last word. For each call handed to it, KcCdrCheck asks
 * CallHistory.get for the CDRs that started within KC_CDR_CHECK_SLACK
 * seconds of the call, at once and then with growing gaps (CDRs are written
 * when the call ends, sometimes later), until it finds the call's CDR or
 * gives up. It signals
 *   "answered" (KcCall*, const char *answered_by, gint64 answer_time)
 * when the CDR says the call was answered: answered_by is the number that
 * answered when that was not the call's own (another extension of a ring
 * group), else NULL; answer_time is Unix seconds, 0 when the CDR does not
 * tell. A CDR that confirms the call was missed ends the check quietly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kerio/kc-kerio-client.h"
#include "kc-call.h"

G_BEGIN_DECLS

#define KC_CDR_CHECK_SLACK 3
#define KC_CDR_CHECK_FIRST_RETRY 2.0
#define KC_CDR_CHECK_GIVE_UP 60.0

typedef enum
{
  KC_CDR_VERDICT_NONE,     /* no CDR of the call (yet) */
  KC_CDR_VERDICT_MISSED,   /* its CDR says nobody answered */
  KC_CDR_VERDICT_ANSWERED, /* its CDR says it was answered */
} KcCdrVerdict;

#define KC_TYPE_CDR_CHECK (kc_cdr_check_get_type ())
G_DECLARE_FINAL_TYPE (KcCdrCheck, kc_cdr_check, KC, CDR_CHECK, GObject)

KcCdrCheck   *kc_cdr_check_new         (KcKerioClient *client);
void          kc_cdr_check_set_timing  (KcCdrCheck *self,
                                        double      first_retry,
                                        double      give_up);
/* The call must be in a final state */
void          kc_cdr_check_start       (KcCdrCheck *self,
                                        KcCall     *call);
void          kc_cdr_check_cancel_all  (KcCdrCheck *self);
/* Checks under way */
guint         kc_cdr_check_get_n_pending (KcCdrCheck *self);

/* What CDRS (KcCdr, any in the time window) say of CALL. *answered_by and
 * *answer_time as for "answered" (answered_by transfer full). */
KcCdrVerdict  kc_cdr_check_judge       (KcCall      *call,
                                        GPtrArray   *cdrs,
                                        char       **answered_by,
                                        gint64      *answer_time);

G_END_DECLS
