/* The C API used from C (elmo_client.h): what a JNI or Swift binding does. Each scenario returns
 * 0 on success or writes why it failed into `why`; capi_test.cpp runs them against a node. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client-sdk/capi/elmo_client.h"

#define FAIL(...)                                  \
    do {                                           \
        snprintf(why, why_len, __VA_ARGS__);       \
        goto done;                                 \
    } while (0)

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Polls a condition every 10 ms until a deadline (never a fixed sleep). */
static void pause_10ms(void) {
    struct timespec d = {0, 10 * 1000 * 1000};
    nanosleep(&d, NULL);
}

struct received {
    pthread_mutex_t mu;
    atomic_int events;
    atomic_int accepted;
    char payload[64];
    uint8_t id[ELMO_EVENT_ID_BYTES];
    uint8_t accepted_id[ELMO_EVENT_ID_BYTES];
};

static void on_event(void* user, const elmo_event* e) {
    struct received* r = user;
    pthread_mutex_lock(&r->mu);
    size_t n = e->payload_len < sizeof r->payload - 1 ? e->payload_len : sizeof r->payload - 1;
    memcpy(r->payload, e->payload, n);
    r->payload[n] = '\0';
    memcpy(r->id, e->id, ELMO_EVENT_ID_BYTES);
    pthread_mutex_unlock(&r->mu);
    atomic_fetch_add(&r->events, 1);
}

static void on_published(void* user, const uint8_t* id, elmo_publish_outcome outcome) {
    struct received* r = user;
    if (outcome != ELMO_PUBLISH_ACCEPTED) return;
    pthread_mutex_lock(&r->mu);
    memcpy(r->accepted_id, id, ELMO_EVENT_ID_BYTES);
    pthread_mutex_unlock(&r->mu);
    atomic_fetch_add(&r->accepted, 1);
}

static elmo_client* open_plain(const char* node, const char* state_dir, char* why,
                               size_t why_len) {
    elmo_client* c = NULL;
    elmo_options* o = elmo_options_new();
    elmo_options_set_plain_tcp(o, 1);
    if (elmo_options_add_node(o, node) != ELMO_OK) snprintf(why, why_len, "bad node %s", node);
    else if (state_dir && elmo_options_set_state_dir(o, state_dir) != ELMO_OK)
        snprintf(why, why_len, "state dir refused");
    else if (elmo_client_open(o, &c, why, why_len) != ELMO_OK)
        c = NULL;
    elmo_options_free(o);
    return c;
}

int elmo_capi_bad_arguments(char* why, size_t why_len) {
    int ok = 1;
    elmo_options* o = elmo_options_new();
    if (elmo_options_add_node(o, "no-port") != ELMO_ERR_ARGUMENT) ok = 0;
    if (elmo_options_add_node(o, "example.com:80") != ELMO_ERR_ARGUMENT) ok = 0; /* not numeric */
    if (elmo_options_add_node(o, "127.0.0.1:70000") != ELMO_ERR_ARGUMENT) ok = 0;
    if (elmo_options_add_node(o, "[::1]:4223") != ELMO_OK) ok = 0;
    if (elmo_options_add_pin(o, "not hex") != ELMO_ERR_ARGUMENT) ok = 0;
    if (elmo_options_set_client_id(o, "") != ELMO_ERR_ARGUMENT) ok = 0;
    elmo_client* c = NULL;
    /* Pinned trust without any pin cannot open. */
    if (elmo_client_open(o, &c, why, why_len) != ELMO_ERR_OPEN || c != NULL) ok = 0;
    elmo_options_free(o);
    if (!ok) snprintf(why, why_len, "an argument check did not answer as documented");
    return ok ? 0 : 1;
}

int elmo_capi_publish_and_receive(const char* node, char* why, size_t why_len) {
    int result = 1;
    static struct received sub_seen, pub_seen;
    pthread_mutex_init(&sub_seen.mu, NULL);
    pthread_mutex_init(&pub_seen.mu, NULL);
    elmo_client* sub = open_plain(node, NULL, why, why_len);
    elmo_client* pub = open_plain(node, NULL, why, why_len);
    if (!sub || !pub) goto done;
    if (elmo_client_subscribe(sub, "c-api", on_event, &sub_seen) != ELMO_OK)
        FAIL("subscribe refused");
    if (elmo_client_subscribe(sub, "", on_event, &sub_seen) != ELMO_ERR_INVALID_TOPIC)
        FAIL("an empty topic was accepted");
    elmo_client_start(sub);
    elmo_client_start(pub);
    elmo_client_status st;
    double deadline = now_s() + 10;
    do {
        elmo_client_get_status(sub, &st);
        if (st.registered == 1) break;
        pause_10ms();
    } while (now_s() < deadline);
    if (st.registered != 1) FAIL("not registered within 10 s");

    const char* msg = "hello from C";
    uint8_t id[ELMO_EVENT_ID_BYTES] = {0};
    elmo_status s = elmo_client_publish(pub, "c-api", (const uint8_t*)msg, strlen(msg),
                                        on_published, &pub_seen, id);
    if (s != ELMO_OK) FAIL("publish: %s", elmo_status_string(s));
    uint8_t big[20000] = {0};
    if (elmo_client_publish(pub, "c-api", big, sizeof big, NULL, NULL, NULL) !=
        ELMO_ERR_PAYLOAD_TOO_LARGE)
        FAIL("a 20,000-byte payload was accepted");
    if (elmo_client_publish(pub, "", big, 1, NULL, NULL, NULL) != ELMO_ERR_INVALID_TOPIC)
        FAIL("an empty topic was accepted for publishing");

    deadline = now_s() + 10;
    while ((atomic_load(&sub_seen.events) < 1 || atomic_load(&pub_seen.accepted) < 1) &&
           now_s() < deadline)
        pause_10ms();
    if (atomic_load(&sub_seen.events) != 1) FAIL("%d events received", atomic_load(&sub_seen.events));
    if (atomic_load(&pub_seen.accepted) != 1) FAIL("not accepted within 10 s");
    pthread_mutex_lock(&sub_seen.mu);
    int same = strcmp(sub_seen.payload, msg) == 0 && memcmp(sub_seen.id, id, sizeof id) == 0 &&
               memcmp(pub_seen.accepted_id, id, sizeof id) == 0;
    pthread_mutex_unlock(&sub_seen.mu);
    if (!same) FAIL("the event received is not the one published");
    result = 0;
done:
    elmo_client_close(sub);
    elmo_client_close(pub);
    return result;
}

int elmo_capi_outbox_survives_reopen(const char* state_dir, char* why, size_t why_len) {
    int result = 1;
    /* Nobody listens on port 1: the publication waits in the outbox. */
    elmo_client* c = open_plain("127.0.0.1:1", state_dir, why, why_len);
    elmo_client_status st;
    if (!c) goto done;
    elmo_client_start(c);
    const uint8_t payload[] = {1, 2, 3};
    if (elmo_client_publish(c, "kept", payload, sizeof payload, NULL, NULL, NULL) != ELMO_OK)
        FAIL("publish refused");
    elmo_client_close(c);
    c = open_plain("127.0.0.1:1", state_dir, why, why_len);
    if (!c) goto done;
    elmo_client_get_status(c, &st);
    if (st.outbox != 1 || st.next_seq != 2)
        FAIL("after reopening: outbox %zu, next seq %llu", st.outbox,
             (unsigned long long)st.next_seq);
    result = 0;
done:
    elmo_client_close(c);
    return result;
}
