/* The elmo client SDK's C API, for Android (JNI) and iOS (Swift) bindings (docs/client-sdk.md).
 * A thin layer over elmo::sdk::Client (client-sdk/api/client.hpp): opaque handles, callbacks
 * with a user-data pointer, status codes instead of exceptions.
 *
 * Threading: as the C++ API. Every function may be called from any thread. Callbacks run on the
 * client's own thread, never on the caller's stack; they may call any function of this API on
 * the same client except elmo_client_close(). Pointers handed to a callback are valid for the
 * duration of the call only.
 */
#ifndef ELMO_CLIENT_H
#define ELMO_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum elmo_status {
    ELMO_OK = 0,
    ELMO_ERR_ARGUMENT = 1,           /* a null or malformed argument (bad host:port, pin, id) */
    ELMO_ERR_INVALID_TOPIC = 2,      /* empty, over 256 bytes, or control characters */
    ELMO_ERR_PAYLOAD_TOO_LARGE = 3,  /* over 16 KiB */
    ELMO_ERR_OUTBOX_FULL = 4,        /* too many publications not yet acknowledged */
    ELMO_ERR_CLOSED = 5,             /* the client is closed */
    ELMO_ERR_OPEN = 6                /* elmo_client_open failed: see its message */
} elmo_status;

typedef enum elmo_publish_outcome {
    ELMO_PUBLISH_ACCEPTED = 0,       /* stored by a mailbox */
    ELMO_PUBLISH_FAILED_INVALID = 1  /* refused by the network as malformed */
} elmo_publish_outcome;

#define ELMO_EVENT_ID_BYTES 32

typedef struct elmo_event {
    const char* topic;
    size_t topic_len;
    const uint8_t* payload;
    size_t payload_len;
    const uint8_t* id; /* ELMO_EVENT_ID_BYTES */
    const uint8_t* publisher;
    size_t publisher_len;
    uint64_t seq;
    int64_t timestamp_ms; /* Unix ms */
} elmo_event;

typedef struct elmo_client_status {
    int connected;
    int background;
    size_t topics;     /* subscribed */
    size_t registered; /* with a live registration */
    size_t outbox;     /* publications not yet acknowledged */
    uint64_t next_seq;
    uint64_t events_delivered;
    uint64_t exchanges_started; /* radio wake-ups the client started */
} elmo_client_status;

typedef void (*elmo_event_cb)(void* user, const elmo_event* event);
typedef void (*elmo_publish_cb)(void* user, const uint8_t* id, elmo_publish_outcome outcome);
typedef void (*elmo_connection_cb)(void* user, int connected);
typedef void (*elmo_error_cb)(void* user, const char* message);

typedef struct elmo_options elmo_options;
typedef struct elmo_client elmo_client;

elmo_options* elmo_options_new(void);
void elmo_options_free(elmo_options* o);
/* A node's client port as "a.b.c.d:port" or "[v6]:port" (numeric: resolve names first). */
elmo_status elmo_options_add_node(elmo_options* o, const char* host_port);
elmo_status elmo_options_set_state_dir(elmo_options* o, const char* dir);
elmo_status elmo_options_set_client_id(elmo_options* o, const char* id); /* 1..32 bytes */
/* Trust: pinned fingerprints (64 hex digits, repeatable), a TOFU file, or plain TCP. */
elmo_status elmo_options_add_pin(elmo_options* o, const char* sha256_hex);
elmo_status elmo_options_set_tofu_file(elmo_options* o, const char* path);
void elmo_options_set_plain_tcp(elmo_options* o, int plain);

/* Opens the client (restoring the state directory); `error` (may be null) receives a message. */
elmo_status elmo_client_open(const elmo_options* o, elmo_client** out, char* error,
                             size_t error_len);
/* Syncs the state, disconnects, joins the thread and frees the client. Never from a callback. */
void elmo_client_close(elmo_client* c);
void elmo_client_start(elmo_client* c);
elmo_status elmo_client_subscribe(elmo_client* c, const char* topic, elmo_event_cb cb,
                                  void* user);
void elmo_client_unsubscribe(elmo_client* c, const char* topic);
/* Returns once the publication is durable; `out_id` (may be null) receives its id. `cb` (may be
 * null) runs once when the outcome is known. */
elmo_status elmo_client_publish(elmo_client* c, const char* topic, const uint8_t* payload,
                                size_t payload_len, elmo_publish_cb cb, void* user,
                                uint8_t* out_id);
void elmo_client_poll_now(elmo_client* c);
void elmo_client_connectivity_changed(elmo_client* c, int available);
void elmo_client_set_background(elmo_client* c, int background);
/* Events of subscribed topics without a callback of their own (restored subscriptions). */
void elmo_client_set_default_event_handler(elmo_client* c, elmo_event_cb cb, void* user);
void elmo_client_set_publish_handler(elmo_client* c, elmo_publish_cb cb, void* user);
void elmo_client_set_connection_handler(elmo_client* c, elmo_connection_cb cb, void* user);
void elmo_client_set_error_handler(elmo_client* c, elmo_error_cb cb, void* user);
void elmo_client_get_status(elmo_client* c, elmo_client_status* out);

const char* elmo_status_string(elmo_status s);

#ifdef __cplusplus
}
#endif

#endif /* ELMO_CLIENT_H */
