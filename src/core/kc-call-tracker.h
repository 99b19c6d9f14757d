/* kc-call-tracker.h: live calls from polling Status.getCalls
 *
 * Polls every interval, diffs each snapshot against the last and signals:
 *   "incoming-call"      (KcCall*)  a new call toward the operator
 *   "outgoing-call"      (KcCall*)  a new call from the operator
 *   "call-state-changed" (KcCall*, KcCallState old)  kelyapti -> suhbatda ->
 *                        yakunlandi, or kelyapti -> javobsiz; a call in a
 *                        final state has left the model. Once more, later,
 *                        javobsiz -> yakunlandi when the PBX's CDR shows the
 *                        call was answered after all (kc_call_get_corrected)
 *
 * A call is one call however many rows the PBX lists for it: real
 * appliances list a row per channel, and a call to a ring group or queue a
 * row per extension it rings. With an extension set, a call that another
 * extension answers ends yakunlandi with kc_call_get_answered_by() set, not
 * javobsiz; and every call that ends javobsiz is checked against its CDR
 * (KcCdrCheck) for up to a minute.
 * A failed poll ends no call: state is kept and the poll is tried again at
 * once, since a call may be ringing right now and one request in ten lost
 * on a poor network must not hide it. Only a second failure in a row counts
 * as an outage: the connection state turns to error, each distinct failure
 * is logged once, and retries back off from KC_TRACKER_RETRY_FIRST doubling
 * to KC_TRACKER_BACKOFF_MAX or the poll interval, whichever is longer: a
 * PBX that is down gets no more requests than one that is up, and its
 * return is noticed within a couple of seconds, before the calls that
 * start ringing then are over.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kerio/kc-ami-client.h"
#include "kerio/kc-kerio-client.h"
#include "kc-call.h"

G_BEGIN_DECLS

typedef enum
{
  KC_CONNECTION_CONNECTING,
  KC_CONNECTION_CONNECTED,
  KC_CONNECTION_ERROR,
} KcConnectionState;

/* Where live calls come from */
typedef enum
{
  KC_LIVE_SOURCE_POLLING, /* Status.getCalls every poll interval */
  KC_LIVE_SOURCE_AMI,     /* AMI events, a poll every KC_TRACKER_AMI_RECONCILE s to cross-check */
} KcLiveSource;

/* Seconds between the polls that cross-check AMI */
#define KC_TRACKER_AMI_RECONCILE 15.0

/* Seconds; the first retry comes no later than the next regular poll */
#define KC_TRACKER_RETRY_FIRST 0.25
#define KC_TRACKER_BACKOFF_MAX 2.0

#define KC_TYPE_CALL_TRACKER (kc_call_tracker_get_type ())
G_DECLARE_FINAL_TYPE (KcCallTracker, kc_call_tracker, KC, CALL_TRACKER, GObject)

KcCallTracker     *kc_call_tracker_new           (KcKerioClient *client,
                                                  double         poll_interval,
                                                  const char    *extension,
                                                  guint          extension_digits);
void               kc_call_tracker_start         (KcCallTracker *self);
void               kc_call_tracker_stop          (KcCallTracker *self);
double             kc_call_tracker_get_poll_interval (KcCallTracker *self);
/* The active calls, a GListModel of KcCall (transfer none) */
GListModel        *kc_call_tracker_get_calls     (KcCallTracker *self);
KcConnectionState  kc_call_tracker_get_connection_state (KcCallTracker *self);
/* The last failure in words, NULL while connected */
const char        *kc_call_tracker_get_last_error (KcCallTracker *self);
/* What kind of failure that is (KC_KERIO_ERROR_FAILED for one from outside
 * the Kerio client); read it with the connection state or last-error */
KcKerioError       kc_call_tracker_get_last_error_code (KcCallTracker *self);

/* Applies one snapshot (GPtrArray of KcActiveCall) taken at `now` (Unix
 * seconds) as if a poll had returned it. The poll loop uses it; tests and
 * benchmarks drive the diff with it directly. */
/* Live calls from the PBX's Asterisk Manager Interface too: while it is
 * logged in, its events tell of calls at once and Status.getCalls is polled
 * only every KC_TRACKER_AMI_RECONCILE seconds, to add a call AMI missed and
 * to end one the PBX no longer lists; while it is not, polling goes on as
 * without it. The tracker does not start or stop the client. */
void               kc_call_tracker_set_ami       (KcCallTracker *self,
                                                  KcAmiClient   *ami);
KcAmiClient       *kc_call_tracker_get_ami       (KcCallTracker *self);
/* Property "live-source" */
KcLiveSource       kc_call_tracker_get_live_source (KcCallTracker *self);
/* For tests: the cross-check's interval (default KC_TRACKER_AMI_RECONCILE) */
void               kc_call_tracker_set_reconcile_interval (KcCallTracker *self,
                                                           double         seconds);

/* How the CDR of a missed call is looked for: at once, then after
 * first_retry seconds doubling, until give_up seconds after the call ended
 * (default 2 s and 60 s). */
void               kc_call_tracker_set_cdr_check_timing (KcCallTracker *self,
                                                         double         first_retry,
                                                         double         give_up);

void               kc_call_tracker_apply_snapshot (KcCallTracker *self,
                                                   GPtrArray     *calls,
                                                   gint64         now);

G_END_DECLS
