/* kc-sim-server.h: a Kerio Operator simulator
 *
 * A libsoup server that speaks the JSON-RPC API described in
 * shared/kerio-operator-api.md and nothing else: Session.login/logout with a
 * token and a session cookie, Status.getCalls, CallHistory.get,
 * Recordings.get, Recordings.downloadAudioContent and the download GET,
 * Server.getInternalDirectoryList; and a small CRM beside it.
 * Used by the tests, the benchmarks, `kerio-sim` and `kerio-cti --demo`.
 * On request it also speaks the Asterisk Manager Interface (AMI) of the
 * same PBX: the channels of its calls as events (see "Asterisk Manager
 * Interface" below).
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

/* How Status.getCalls rows look: the two shapes on record (see
 * shared/kerio-operator-api.md, "Active calls") */
typedef enum
{
  /* As public integrations read real appliances: one row per channel,
   * lower-case "id" (an Asterisk unique id), STATUS "0" ringing / "1" up,
   * no ANSWERED_DURATION, no NAME. An external call (one end longer than 4
   * digits) shows two rows, the callee's appearing 400 ms after the
   * caller's; an internal call one. A ring group call shows the caller's row
   * TO the group and one row per ringing extension. The default. */
  KC_SIM_DIALECT_FIELD,
  /* As Kerio's PHP SDK sample implies: one row per call, "ID", NAME,
   * STATUS "Ringing" / "Answered", ANSWERED_DURATION; a ring group call shows
   * one row per ringing extension and no caller's row. */
  KC_SIM_DIALECT_SDK,
} KcSimDialect;

/* "field" or "sdk" */
gboolean     kc_sim_dialect_from_name        (const char   *name,
                                              KcSimDialect *dialect);

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
/* The shape of Status.getCalls rows (default KC_SIM_DIALECT_FIELD) */
void         kc_sim_server_set_dialect       (KcSimServer  *self,
                                              KcSimDialect  dialect);
/* Leave the id member ("id" or "ID", as the dialect has it) out of
 * Status.getCalls rows, as some firmware does */
void         kc_sim_server_set_omit_call_ids (KcSimServer *self,
                                              gboolean     omit);
/* Send "STATUS" of live calls as the numbers 0 (ringing) and 1 (up) */
void         kc_sim_server_set_numeric_status (KcSimServer *self,
                                               gboolean     numeric);
/* Send numbers in results as JSON strings ("65" instead of 65) */
void         kc_sim_server_set_numbers_as_strings (KcSimServer *self,
                                                   gboolean     as_strings);

/* --- Live calls. Ids are the server's; returned strings belong to the server.
 * A call's id is its first leg's, the caller's channel: the id a client
 * merging the rows of a call would keep. */
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
/* A call to ring group `group_number` ("800") that rings the extensions
 * (NULL-terminated) at once */
const char  *kc_sim_server_add_group_call    (KcSimServer       *self,
                                              const char        *from_number,
                                              const char        *from_name,
                                              const char        *group_number,
                                              const char *const *extensions);
/* A ring group call is answered by its first extension */
gboolean     kc_sim_server_answer_call       (KcSimServer *self,
                                              const char  *call_id);
/* Answered by `extension`: of a ring group call, one it rings (the others'
 * rows vanish); of a direct call, its callee. FALSE when that cannot be. */
gboolean     kc_sim_server_answer_call_at    (KcSimServer *self,
                                              const char  *call_id,
                                              const char  *extension);
/* The call leaves Status.getCalls and its CDR is written: status ANSWERED
 * when it was answered (with a recording when recordings are on), else
 * `unanswered_status` (NO_ANSWER, BUSY, FAILED, ...). A ring group call's
 * CDR goes to the extension that answered it, or to the group number; its
 * recording to that extension. */
gboolean     kc_sim_server_end_call          (KcSimServer    *self,
                                              const char     *call_id,
                                              KcSimCdrStatus  unanswered_status);
guint        kc_sim_server_get_n_active_calls (KcSimServer *self);
/* Write a call's CDR and recording this long after it ends (default 0), as
 * a PBX that writes its records late does */
void         kc_sim_server_set_cdr_delay     (KcSimServer *self,
                                              double       seconds);

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

/* --- The PBX's directory of its own numbers: Server.getInternalDirectoryList
 * answers {"numberList":[{"TEL_NUM":"1001","DESCRIPTION":"Nodira Usmonova",
 * "EXTENSION_TYPE_ID":1},...],"totalItems":N} as Kerio's SDK sample reads it.
 * No answer of a real appliance is on record; the field dialect spells its
 * members in lower case ("tel_num", "description"), as its Status.getCalls
 * spells "id", so that a client must read them in any case. It starts with
 * extensions 1001..1010 (the traffic's operators) and the ring group
 * KC_SIM_TRAFFIC_GROUP. */
/* Adds the number or changes its description; NULL removes it */
void         kc_sim_server_set_directory_entry (KcSimServer *self,
                                                const char  *number,
                                                const char  *description);
/* FALSE: the method is not found, as on firmware without it (default TRUE) */
void         kc_sim_server_set_directory_enabled (KcSimServer *self,
                                                  gboolean     enabled);

/* --- A CRM beside the PBX, for the demo and the tests (plain HTTP on the
 * same port): GET /crm/lookup?number=N[&extension=E] answers
 * {"name":"...","url":"http://127.0.0.1:PORT/crm/customers/ID","id":ID}
 * (application/json) for a customer it knows and 404 {"error":"..."} for
 * any other number; /crm/customers/ID is that customer's card, a small
 * HTML page. It knows a few customers from the start, who are also the
 * generated traffic's regular callers. */
typedef enum
{
  KC_SIM_CRM_OK,
  KC_SIM_CRM_SLOW,     /* the answer after slow-delay seconds */
  KC_SIM_CRM_BROKEN,   /* 200 with JSON cut short */
  KC_SIM_CRM_HTTP_500, /* 500 Internal Server Error */
} KcSimCrmFault;

/* "http://127.0.0.1:PORT/crm/lookup?number={number}&extension={extension}",
 * a template as KERIO_LOOKUP_URL takes it */
char        *kc_sim_server_get_crm_lookup_url  (KcSimServer *self);
/* "http://127.0.0.1:PORT/crm/search?number={number}", as KERIO_CRM_URL */
char        *kc_sim_server_get_crm_search_url  (KcSimServer *self);
/* Adds a customer or renames one; name NULL forgets the number */
void         kc_sim_server_set_crm_customer    (KcSimServer *self,
                                                const char  *number,
                                                const char  *name);
void         kc_sim_server_set_crm_fault       (KcSimServer   *self,
                                                KcSimCrmFault  fault);
/* Lookups asked for so far, answered or not */
guint        kc_sim_server_get_crm_lookup_count (KcSimServer *self);

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
 *              "ringingPolls":N,"ringingRequests":N,"legs":N,
 *              "group":"800","rang":["1001","1003"],"answeredBy":"1003"|null,
 *              "answeredElsewhere":true}]}
 * "cdrs" is the whole call history as written so far (not the CDRs a
 * cdr delay still holds back); "calls" every live call this server has had
 * since it was created, ended or not. direction and tracked are as Kerio
 * CTI classifies a call with this `extension` (NULL: none) and
 * `extension_digits` (see kc_classify_call and shared/kerio-operator-api.md):
 * toward the extension, or from a number longer than extension_digits, is
 * kiruvchi. rangMs is how long the call rang (until answered or gone);
 * ringingRequests how many Status.getCalls requests (and faulted logins)
 * arrived while it rang, and ringingPolls how many of the polls were
 * answered in full, without a fault and within a valid session, listing it
 * as ringing. legs is how many
 * distinct rows it showed in Status.getCalls (in the dialect then spoken).
 * group, rang and answeredBy are there for a ring group call only. With an
 * extension, a ring group call is tracked when it rang that extension,
 * answered only when that extension answered it, and answeredElsewhere
 * (present only then) when it rang there but another extension answered. */
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
 * busy; rings of 1-15 s, talks of 5-120 s. About a quarter of the incoming
 * calls go to ring group KC_SIM_TRAFFIC_GROUP, which rings 2 or 3 of the
 * extensions; one of them answers, or nobody, as often as a direct call is
 * answered or not. A caller who was not answered comes back: about one call
 * in four is with one of the last few such callers, who calls again or is
 * called back, until one of their calls is answered. Seeded for
 * repeatability. */
#define KC_SIM_TRAFFIC_GROUP "800"
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

/* --- Replay: serve a capture (as kerio-cti --capture writes it, JSON Lines)
 * instead of the simulated calls and history. Session.login answers with a
 * fresh session whatever the credentials, Session.logout with {}; every
 * other method with an answer from the capture: the last one recorded for
 * that method within the replay clock (which starts at the first request,
 * and counts from the capture's first line), or the first one recorded
 * when none is yet. CallHistory.get and Recordings.get prefer the answer
 * recorded for the same query (start, limit, conditions). Answers keep
 * their HTTP status and body; a recorded transport error drops the
 * connection. The history's TIMESTAMP and STARTED move by the whole
 * seconds from the capture's first line to the replay's first request, and
 * move back in the conditions of a query before they are compared. A line
 * that cannot be read is skipped with a warning naming it; a file without
 * one usable line is an error. */
gboolean     kc_sim_server_load_replay       (KcSimServer  *self,
                                              const char   *path,
                                              GError      **error);

/* --- Asterisk Manager Interface: the live channels of the same calls,
 * pushed as AMI events (shared/kerio-operator-api.md, "Live events without
 * polling").
 *
 * Greeting "Asterisk Call Manager/<AMI version>"; login with Action:
 * Challenge (AuthType: MD5) then Login with Key: md5 (challenge + secret),
 * or Login with Secret; a wrong one gets Response: Error, Message:
 * Authentication failed. Events: on a Login picks the event classes
 * ("call", "system", ... ; "on" or none: all, "off": none). Ping answers
 * Response: Success, Ping: Pong; Logoff answers Response: Goodbye and
 * closes. Every logged-in session gets every event it asked for: those of
 * all calls, whoever they concern.
 *
 * Each leg of a call (kc-sim-server-calls.c) is a channel:
 * "SIP/1001-0000002a" for an extension (four digits or fewer),
 * "SIP/trunk-0000002b" for the outside line (the tech is settable),
 * Uniqueid the leg's id, Linkedid the call's id (11 and 18). The caller's
 * channel starts in state 4 (Ring); a dialled channel starts Down (0) and
 * goes Ringing (5) once dialled, paired with the caller by a dial event
 * (Dial SubEvent Begin/End in 1.8 and 11; DialBegin/DialEnd in 18). On an
 * answer both go Up (6) and are bridged (Bridge Link/Unlink; BridgeCreate,
 * BridgeEnter, BridgeLeave, BridgeDestroy); the other members of a ring
 * group are hung up with Cause 26 (Answered elsewhere). At the end each
 * channel gets a Hangup with Cause and Cause-txt: 16 Normal Clearing after
 * an answer, else 19 (no answer), 17 (busy) or 21 (failed, forbidden). A
 * call between extensions has the callee's channel too, though it shows as
 * one row in Status.getCalls. Extensions' channels are in context
 * "sip-locals-callPermissions" (as a Kerio integration on record saw it),
 * the outside line's in "sip-trunks" (made up). A call also sends a
 * PeerStatus event (class system) for the extension it involves, which
 * "Events: call" filters out. */
typedef enum
{
  KC_SIM_AMI_1_8, /* Asterisk 1.8: Dial, Bridge, no Linkedid; AMI 1.1 */
  KC_SIM_AMI_11,  /* Asterisk 11: the same with Linkedid; AMI 1.3 (the default) */
  KC_SIM_AMI_18,  /* Asterisk 12 and later (as 18): DialBegin/DialEnd,
                   * BridgeEnter/BridgeLeave; AMI 7.0.3 */
} KcSimAmiVersion;

/* "1.8", "11" or "18" */
gboolean     kc_sim_ami_version_from_name    (const char      *name,
                                              KcSimAmiVersion *version);
/* Listens on 127.0.0.1; port 0 picks a free one. Restarts close it too. */
gboolean     kc_sim_server_listen_ami        (KcSimServer  *self,
                                              guint16       port,
                                              GError      **error);
/* 0 when not listening */
guint16      kc_sim_server_get_ami_port      (KcSimServer *self);
void         kc_sim_server_set_ami_version   (KcSimServer     *self,
                                              KcSimAmiVersion  version);
/* NULL: the API's user name and password (the default) */
void         kc_sim_server_set_ami_credentials (KcSimServer *self,
                                                const char  *username,
                                                const char  *secret);
/* The technology in channel names: "SIP" (the default) or "PJSIP" */
void         kc_sim_server_set_ami_channel_tech (KcSimServer *self,
                                                 const char  *tech);
/* FALSE: answer Action: Challenge with an error, as a server that offers
 * no MD5 login (default TRUE) */
void         kc_sim_server_set_ami_challenge (KcSimServer *self,
                                              gboolean     offer);
/* Faults: refuse every login (with the message of a wrong secret); hang
 * (read actions, answer nothing, send no events, keep the connections);
 * drop every AMI connection at once, as a broken network would */
void         kc_sim_server_set_ami_refuse    (KcSimServer *self,
                                              gboolean     refuse);
void         kc_sim_server_set_ami_hang      (KcSimServer *self,
                                              gboolean     hang);
void         kc_sim_server_drop_ami          (KcSimServer *self);
/* Connections accepted so far; sessions open now; logins accepted; actions
 * of one name received (Login attempts: "Login") */
guint        kc_sim_server_get_ami_connection_count (KcSimServer *self);
guint        kc_sim_server_get_ami_session_count    (KcSimServer *self);
guint        kc_sim_server_get_ami_login_count      (KcSimServer *self);
guint        kc_sim_server_get_ami_action_count     (KcSimServer *self,
                                                     const char  *action);

/* --- Out-of-process scripting: the same operations as JSON, as served on
 * POST /sim/control (no login needed; loopback only). request:
 *   {"action":"addCall","from":"+998901234567","to":"1001","fromName":"..."} -> {"id":"..."}
 *   {"action":"addGroupCall","from":"+998901234567","to":"800","extensions":["1001","1002"],
 *    "fromName":"..."} -> {"id":"..."}
 *   {"action":"answerCall","id":"...","extension":"1002"}  (extension optional)
 *   {"action":"endCall","id":"...","status":3}
 *   {"action":"dialect","dialect":"field"|"sdk"}
 *   {"action":"cdrDelay","seconds":S}
 *   {"action":"addCdr","id":..,"timestamp":..,"from":..,"to":..,"status":..,"duration":..,"answered":..}
 *   {"action":"expireSessions"}             {"action":"fault","fault":"http500","count":3}
 *   {"action":"stats"} -> {"requests":{method:n},"unauthenticated":n,"cdrs":n,"activeCalls":n,
 *                          "pendingCdrs":n,"faults":{name:n},"restarts":n,
 *                          "down":false,...}
 *   {"action":"faultRates","seed":N,"drop":0.1,"http500":0.05,...,"slowDelay":S}
 *       (any fault name; a rate left out is 0)
 *   {"action":"expireEvery","seconds":S}
 *   {"action":"restart","downFor":S}        (after this answer is sent)
 *   {"action":"traffic","rate":N,"seed":N,"maxTalk":S}  (rate 0 stops new calls;
 *                                           talks up to S s, default 120)
 *   {"action":"groundTruth","extension":"1001","extensionDigits":4}
 *       -> kc_sim_server_get_ground_truth()
 *   {"action":"amiDrop"}                    {"action":"amiRefuse","refuse":true}
 *   {"action":"amiHang","hang":true}
 *   {"action":"directory","number":"1001","description":"..."|null}
 *   {"action":"crmCustomer","number":"+998...","name":"..."|null}
 *   {"action":"crmFault","fault":"ok"|"slow"|"broken"|"http500"}
 *   ("stats" also has "ami":{"connections":n,"sessions":n,"logins":n,"events":n,
 *                             "actions":{action:n}} and "crmLookups":n)
 * Returns the answer object (transfer full) or NULL with error. */
JsonNode    *kc_sim_server_control           (KcSimServer  *self,
                                              JsonNode     *request,
                                              GError      **error);

G_END_DECLS
