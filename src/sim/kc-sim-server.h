/* kc-sim-server.h: a Kerio Operator simulator
 *
 * A libsoup server that speaks the JSON-RPC API described in
 * shared/kerio-operator-api.md and nothing else: Session.login/logout with a
 * token and a session cookie, Status.getCalls, CallHistory.get,
 * Recordings.get, Recordings.downloadAudioContent and the download GET.
 * Used by the tests, the benchmarks, `kerio-sim` and `kerio-cti --demo`.
 *
 * Tests script exact calls through the C API below (in-process) or through
 * POST /sim/control (out of process, see kc_sim_server_control()).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define KC_SIM_DEFAULT_USERNAME "admin"
#define KC_SIM_DEFAULT_PASSWORD "demo"
#define KC_SIM_ENDPOINT_PATH "/admin/api/jsonrpc/"

/* Kerio CDR STATUS codes */
typedef enum
{
  KC_SIM_CDR_FAILED = 1,
  KC_SIM_CDR_BUSY = 2,
  KC_SIM_CDR_NO_ANSWER = 3,
  KC_SIM_CDR_ANSWERED = 4,
  KC_SIM_CDR_FORBIDDEN = 5,
  KC_SIM_CDR_VOICEMAIL = 6,
} KcSimCdrStatus;

/* Faults for the next N answers to JSON-RPC requests (not to Session.login
 * unless stated) */
typedef enum
{
  KC_SIM_FAULT_NONE,
  KC_SIM_FAULT_HTML,        /* 200 with an HTML error page */
  KC_SIM_FAULT_NOT_FOUND,   /* 404 with an HTML page, like a foreign web server */
  KC_SIM_FAULT_HTTP_500,    /* 500 Internal Server Error */
  KC_SIM_FAULT_TRUNCATED,   /* the right JSON cut in half */
  KC_SIM_FAULT_MALFORMED,   /* 200 with JSON that does not parse */
  KC_SIM_FAULT_WRONG_SHAPE, /* valid JSON-RPC whose result has the wrong types */
  KC_SIM_FAULT_HUGE,        /* a body over 16 MiB */
  KC_SIM_FAULT_DROP,        /* the connection closed without an answer */
  KC_SIM_FAULT_SLOW,        /* answer only after slow-delay seconds */
} KcSimFault;

#define KC_TYPE_SIM_SERVER (kc_sim_server_get_type ())
G_DECLARE_FINAL_TYPE (KcSimServer, kc_sim_server, KC, SIM_SERVER, GObject)

KcSimServer *kc_sim_server_new               (void);

/* Listens on 127.0.0.1; port 0 picks a free one. certificate: HTTPS when
 * non-NULL. */
gboolean     kc_sim_server_listen            (KcSimServer      *self,
                                              guint16           port,
                                              GTlsCertificate  *certificate,
                                              GError          **error);
guint16      kc_sim_server_get_port          (KcSimServer *self);
/* "http://127.0.0.1:PORT/admin/api/jsonrpc/" (https when listening with TLS) */
char        *kc_sim_server_get_endpoint_url  (KcSimServer *self);

void         kc_sim_server_set_credentials   (KcSimServer *self,
                                              const char  *username,
                                              const char  *password);
/* Serve at most this many rows per *.get page whatever limit is asked
 * (0: no cap) */
void         kc_sim_server_set_page_cap      (KcSimServer *self,
                                              guint        cap);
/* Leave "ID" out of Status.getCalls rows, as some firmware does */
void         kc_sim_server_set_omit_call_ids (KcSimServer *self,
                                              gboolean     omit);
/* Send "STATUS" of live calls as numbers (0 ringing, 1 up) instead of strings */
void         kc_sim_server_set_numeric_status (KcSimServer *self,
                                               gboolean     numeric);
/* Send numbers in results as JSON strings ("65" instead of 65) */
void         kc_sim_server_set_numbers_as_strings (KcSimServer *self,
                                                   gboolean     as_strings);

/* --- Live calls. Ids are the server's; returned strings belong to the server. */
const char  *kc_sim_server_add_call          (KcSimServer *self,
                                              const char  *from_number,
                                              const char  *from_name,
                                              const char  *to_number,
                                              const char  *to_name);
/* Like add_call, but the call began `age` seconds ago */
const char  *kc_sim_server_add_call_started  (KcSimServer *self,
                                              const char  *from_number,
                                              const char  *from_name,
                                              const char  *to_number,
                                              const char  *to_name,
                                              gint64       age);
gboolean     kc_sim_server_answer_call       (KcSimServer *self,
                                              const char  *call_id);
/* The call leaves Status.getCalls and its CDR is written: status ANSWERED
 * when it was answered (with a recording when recordings are on), else
 * `unanswered_status` (NO_ANSWER, BUSY, FAILED, ...). */
gboolean     kc_sim_server_end_call          (KcSimServer    *self,
                                              const char     *call_id,
                                              KcSimCdrStatus  unanswered_status);
guint        kc_sim_server_get_n_active_calls (KcSimServer *self);

/* --- History and recordings, written directly (paging, late records) */
void         kc_sim_server_add_cdr           (KcSimServer    *self,
                                              const char     *id,
                                              gint64          timestamp,
                                              const char     *from_number,
                                              const char     *to_number,
                                              KcSimCdrStatus  status,
                                              gint64          call_duration,
                                              gint64          answered_duration);
/* Bulk: n CDRs with ids PREFIX-0..n-1, timestamps from first_ts one per
 * `step` seconds, varied numbers and statuses; for big-history tests. */
void         kc_sim_server_add_generated_cdrs (KcSimServer *self,
                                               const char  *prefix,
                                               guint        n,
                                               gint64       first_ts,
                                               gint64       step);
guint        kc_sim_server_get_n_cdrs        (KcSimServer *self);
/* A recording of `duration` seconds of real WAV audio (8 kHz, 16-bit mono) */
void         kc_sim_server_add_recording     (KcSimServer *self,
                                              const char  *id,
                                              const char  *extension,
                                              const char  *caller_id,
                                              gint64       started,
                                              gint64       duration);
/* Whether answered calls ended through end_call get a recording (default on) */
void         kc_sim_server_set_record_calls  (KcSimServer *self,
                                              gboolean     record);
/* Whether kc_sim_server_add_generated_cdrs() also records its answered
 * calls (default off: a million recordings are a lot of memory) */
void         kc_sim_server_set_record_generated (KcSimServer *self,
                                                 gboolean     record);
/* Point fileDownload.url of downloadAudioContent at this absolute URL instead
 * (for the foreign-origin test); NULL restores. */
void         kc_sim_server_set_download_url_override (KcSimServer *self,
                                                      const char  *url);

/* --- Sessions and faults */
/* Forget every session token: the next request gets -32001 */
void         kc_sim_server_expire_sessions   (KcSimServer *self);
/* Answer the next `count` JSON-RPC requests (not logins) with `fault` */
void         kc_sim_server_inject_fault      (KcSimServer *self,
                                              KcSimFault   fault,
                                              guint        count);
void         kc_sim_server_set_slow_delay    (KcSimServer *self,
                                              double       seconds);

/* --- Faults at a rate. Each JSON-RPC request, logins included (a flaky
 * network does not spare them), draws one number from a PRNG seeded with
 * kc_sim_server_set_fault_seed(), so that a run repeats; with probability
 * `rate` its answer gets `fault`. Faults counted by inject_fault() come
 * first. The rates of all faults together are at most 1. */
void         kc_sim_server_set_fault_rate    (KcSimServer *self,
                                              KcSimFault   fault,
                                              double       rate);
void         kc_sim_server_set_fault_seed    (KcSimServer *self,
                                              guint32      seed);
/* Answers given with `fault` so far, counted and at a rate alike */
guint        kc_sim_server_get_fault_count   (KcSimServer *self,
                                              KcSimFault   fault);
/* Forget every session every `seconds` (0: never), as a PBX with a short
 * session lifetime does */
void         kc_sim_server_set_expire_every  (KcSimServer *self,
                                              double       seconds);

/* --- Restart: the PBX reboots and keeps its disk.
 *
 * What a reboot of the appliance does, as far as a client can tell:
 * - the listener and every open connection close at once; answers held back
 *   by the DROP and SLOW faults are never sent;
 * - every session is forgotten: an old X-Token gets -32001 afterwards;
 * - the calls under way are cut off. The telephony engine hangs up its
 *   channels before it stops, and each hang-up writes its CDR as any other
 *   would: ANSWERED (with its recording) for a call in conversation,
 *   NO_ANSWER for one still ringing. Nothing is lost, nothing is left
 *   half-written;
 * - for `down_for` seconds connections are refused (nothing listens), and
 *   no new call can arrive;
 * - then it listens again on the same port and scheme, with its call
 *   history and recordings as they were, and the generated traffic goes on.
 * Returns FALSE when it is down already. */
gboolean     kc_sim_server_restart           (KcSimServer *self,
                                              double       down_for);
gboolean     kc_sim_server_is_down           (KcSimServer *self);
guint        kc_sim_server_get_restart_count (KcSimServer *self);

/* --- Ground truth, for judging a client that watched this server:
 *   {"cdrs":[{"id":"..."|null,"timestamp":T,"from":"...","to":"...",
 *             "kerioStatus":4,"status":"javob berildi","direction":"kiruvchi"}],
 *    "calls":[{"id":"...","from":"...","to":"...","direction":"kiruvchi",
 *              "tracked":true,"ended":true,"answered":false,"rangMs":N,
 *              "ringingPolls":N,"ringingRequests":N}]}
 * "cdrs" is the whole call history; "calls" every live call this server
 * has had since it was created, ended or not. direction and tracked are as
 * Kerio CTI classifies a call with this `extension` (NULL: none) and
 * `extension_digits` (see kc_classify_call and shared/kerio-operator-api.md):
 * toward the extension, or from a number longer than extension_digits, is
 * kiruvchi. rangMs is how long the call rang (until answered or gone);
 * ringingRequests how many Status.getCalls requests arrived while it rang,
 * and ringingPolls how many of them were answered in full, without a
 * fault and within a valid session, listing it as ringing. */
JsonNode    *kc_sim_server_get_ground_truth  (KcSimServer *self,
                                              const char  *extension,
                                              guint        extension_digits);

/* --- What the server saw, for assertions */
/* Requests to `method` ("Session.login", "Status.getCalls", ...) */
guint        kc_sim_server_get_request_count (KcSimServer *self,
                                              const char  *method);
/* Requests after a login that lacked the X-Token header, the session cookie,
 * or carried a stale token */
guint        kc_sim_server_get_unauthenticated_count (KcSimServer *self);
/* Download GETs served */
guint        kc_sim_server_get_download_count (KcSimServer *self);
/* Distinct TCP connections accepted (keep-alive check) */
guint        kc_sim_server_get_connection_count (KcSimServer *self);

/* --- Generated traffic (kerio-sim, --demo): random realistic calls, roughly
 * `calls_per_minute`, incoming from Uzbek mobile numbers to extensions
 * 1001..1010 and outgoing the other way; some answered, some missed, some
 * busy; rings of 1-15 s, talks of 5-120 s. Seeded for repeatability. */
#define KC_SIM_TRAFFIC_MIN_TALK 5
#define KC_SIM_TRAFFIC_MAX_TALK 120

void         kc_sim_server_start_traffic     (KcSimServer *self,
                                              double       calls_per_minute,
                                              guint32      seed);
void         kc_sim_server_stop_traffic      (KcSimServer *self);
/* Talks last KC_SIM_TRAFFIC_MIN_TALK..seconds (default
 * KC_SIM_TRAFFIC_MAX_TALK); calls already under way keep theirs */
void         kc_sim_server_set_traffic_max_talk (KcSimServer *self,
                                                 double       seconds);

/* --- Out-of-process scripting: the same operations as JSON, as served on
 * POST /sim/control (no login needed; loopback only). request:
 *   {"action":"addCall","from":"+998901234567","to":"1001","fromName":"..."} -> {"id":"..."}
 *   {"action":"answerCall","id":"..."}      {"action":"endCall","id":"...","status":3}
 *   {"action":"addCdr","id":..,"timestamp":..,"from":..,"to":..,"status":..,"duration":..,"answered":..}
 *   {"action":"expireSessions"}             {"action":"fault","fault":"http500","count":3}
 *   {"action":"stats"} -> {"requests":{method:n},"unauthenticated":n,"cdrs":n,"activeCalls":n,
 *                          "faults":{name:n},"restarts":n,"down":false,...}
 *   {"action":"faultRates","seed":N,"drop":0.1,"http500":0.05,...,"slowDelay":S}
 *       (any fault name; a rate left out is 0)
 *   {"action":"expireEvery","seconds":S}
 *   {"action":"restart","downFor":S}        (after this answer is sent)
 *   {"action":"traffic","rate":N,"seed":N,"maxTalk":S}  (rate 0 stops new calls;
 *                                           talks up to S s, default 120)
 *   {"action":"groundTruth","extension":"1001","extensionDigits":4}
 *       -> kc_sim_server_get_ground_truth()
 * Returns the answer object (transfer full) or NULL with error. */
JsonNode    *kc_sim_server_control           (KcSimServer  *self,
                                              JsonNode     *request,
                                              GError      **error);

G_END_DECLS
