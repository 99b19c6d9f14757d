/* kc-probe.h: does this PBX give the app what it needs?
 *
 * For the first run against a real Kerio Operator, whose answers no one
 * here has seen: logs in, asks each method the app uses once (the history
 * and the recordings for one row, a recording's download address when
 * there is a recording, never the file), logs out, and says in a report of
 * translated lines how each step went (OK, refused with the PBX's words,
 * method unknown, failed and why) and what it saw: the shape of the live
 * calls' rows, the rows each method gave, the PBX's clock against ours.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "kerio/kc-ami-client.h"
#include "kerio/kc-kerio-client.h"

G_BEGIN_DECLS

typedef enum
{
  KC_PROBE_DIALECT_UNKNOWN,
  /* lower-case "id", STATUS a string "0"/"1": what public integrations
   * read from real appliances */
  KC_PROBE_DIALECT_FIELD,
  /* "ID", STATUS a word, ANSWERED_DURATION: what Kerio's PHP SDK implies */
  KC_PROBE_DIALECT_SDK,
} KcProbeDialect;

/* What the rows of a Status.getCalls result look like, member names as
 * the PBX spells them */
typedef struct
{
  guint           n_rows;
  char           *id_member;         /* "id", "ID", ...; NULL when no row has one */
  GPtrArray      *statuses;          /* distinct STATUS values: strings in quotes, numbers bare */
  gboolean        answered_duration; /* some row has ANSWERED_DURATION */
  KcProbeDialect  dialect;
} KcProbeCalls;

/* result: the "result" of Status.getCalls; NULL when it has no "calls" */
KcProbeCalls *kc_probe_calls_read (JsonNode     *result);
void          kc_probe_calls_free (KcProbeCalls *calls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (KcProbeCalls, kc_probe_calls_free)

#define KC_TYPE_PROBE (kc_probe_get_type ())
G_DECLARE_FINAL_TYPE (KcProbe, kc_probe, KC, PROBE, GObject)

/* The client is not logged in yet; the probe logs it in and out. */
KcProbe            *kc_probe_new             (KcKerioClient        *client);
KcKerioClient      *kc_probe_get_client      (KcProbe              *self);
/* With the Asterisk Manager Interface to try too (NULL: AMI is off); the
 * report then says whether live calls will come from it or from polls
 * every poll_interval seconds. The client is not started. */
void                kc_probe_set_ami         (KcProbe              *self,
                                              KcAmiClient          *ami,
                                              double                poll_interval);
void                kc_probe_run_async       (KcProbe              *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
/* FALSE only when cancelled: anything the PBX does is in the report */
gboolean            kc_probe_run_finish      (KcProbe              *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* The report, one translated line each, NULL-terminated */
const char *const  *kc_probe_get_lines       (KcProbe              *self);
/* Live calls and the history both work: the app can run on this PBX */
gboolean            kc_probe_get_succeeded   (KcProbe              *self);
/* Why the login failed (a TLS error names the certificate), or NULL */
const GError       *kc_probe_get_login_error (KcProbe              *self);
/* Calls in progress, each counted once however many rows (channels) the
 * PBX lists for it; 0 when Status.getCalls failed */
guint               kc_probe_get_n_calls     (KcProbe              *self);

G_END_DECLS
