// The node core's dissemination over fake ports: a publication stored at a mailbox through the
// publisher's home and pushed to subscribers through theirs; polls that return what a client
// lacks and ask for what it has; retries past a dead mailbox; and mailboxes of one topic, elected
// apart, that find each other and forward events.
#include <gtest/gtest.h>

#include "core_harness.hpp"

namespace elmo {
namespace {

using namespace std::chrono_literals;
using test::CoreCluster;

Bytes cid(std::uint8_t n) { return Bytes(8, n); }

wire::Event event(std::string topic, std::uint64_t seq, std::uint8_t publisher = 1) {
    return test::sealed_event(std::move(topic), seq, cid(publisher));
}

template <class T>
std::vector<T> frames_of(CoreCluster& c, std::size_t node, ClientHandle h) {
    std::vector<T> out;
    for (const auto& m : c.node(node).clients.frames[h])
        if (auto* x = std::get_if<T>(&m)) out.push_back(*x);
    return out;
}

std::size_t delivered(CoreCluster& c, std::size_t node, ClientHandle h, const wire::EventId& id) {
    std::size_t n = 0;
    for (const auto& d : frames_of<wire::Deliver>(c, node, h))
        for (const auto& e : d.events) n += e.id == id;
    return n;
}

// Node 0 is the mailbox of "t" (its client subscribed first); a client of node 1 registers there.
void two_subscribers(CoreCluster& c) {
    c.link(0, 1);
    c.start();
    c.connect_client(0, 1, cid(1));
    c.client_frame(0, 1, wire::Subscribe{1, "t", {}});
    c.run_for(10s);
    ASSERT_TRUE(c.core(0).mailbox().holds("t"));
    c.connect_client(1, 2, cid(2));
    c.client_frame(1, 2, wire::Subscribe{2, "t", {c.core(0).self_addr()}});
    c.run_for(5s);
    ASSERT_EQ(c.core(0).mailbox().clients("t").size(), 2u);
}

TEST(NodeDissemination, PublicationIsStoredAcknowledgedAndPushedToEverySubscriber) {
    CoreCluster c(2);
    two_subscribers(c);
    const wire::Event e = event("t", 1, 2);
    c.client_frame(1, 2, wire::Publish{7, e, {c.core(0).self_addr()}, false});
    c.run_for(2s);
    auto results = frames_of<wire::PublishResult>(c, 1, 2);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].request_id, 7u);
    EXPECT_EQ(results[0].status, wire::PublishStatus::accepted);
    EXPECT_EQ(results[0].mailbox.id, c.core(0).id());
    EXPECT_TRUE(c.core(0).mailbox().find_event("t", e.id));
    // Both subscribers get it once: the local one directly, the remote one through its home.
    EXPECT_EQ(delivered(c, 0, 1, e.id), 1u);
    EXPECT_EQ(delivered(c, 1, 2, e.id), 1u);
    // Publishing the same event again (a retry) is accepted and not pushed again.
    c.client_frame(1, 2, wire::Publish{8, e, {c.core(0).self_addr()}, false});
    c.run_for(2s);
    EXPECT_EQ(frames_of<wire::PublishResult>(c, 1, 2).back().status,
              wire::PublishStatus::accepted);
    EXPECT_EQ(delivered(c, 0, 1, e.id), 1u);
}

// Node 0 (the mailbox of "t" in two_subscribers) restarts from a journal that held the topic,
// the registration of node 1's client and `events`, in that order.
void restart_holding(CoreCluster& c, const std::vector<wire::Event>& events,
                     std::optional<std::int64_t> stopped_unix_ms = std::nullopt) {
    const Endpoint home_of_2 = c.core(1).endpoint();
    c.restart(
        0,
        [&](mailbox::Mailbox& m, TimePoint now) {
            ASSERT_EQ(m.adopt_topic("t", now), mailbox::AdoptResult::adopted);
            ASSERT_TRUE(m.restore_registration("t", cid(2), home_of_2,
                                               m.wall_clock().to_unix_ms(now + 10min), now));
            for (const auto& e : events)
                ASSERT_EQ(m.store_event(e, now), mailbox::StoreResult::stored);
        },
        stopped_unix_ms);
}

TEST(NodeDissemination, ARestartedMailboxPushesItsNewestRestoredEventsAgain) {
    // The journal holds an event as soon as it is stored, before its pushes leave: a mailbox
    // killed in between comes back with an event its registered clients never got, and a client
    // connected elsewhere all along has no reason to poll (ElmodHeavy: 1 pair in 3,000 missing
    // in one run of ten).
    CoreCluster c(2);
    two_subscribers(c);
    const wire::Event old = event("t", 1, 1), unpushed = event("t", 2, 1);
    c.kill(0);
    c.run_for(5s);
    restart_holding(c, {old, unpushed});
    c.run_for(2s);
    EXPECT_EQ(delivered(c, 1, 2, unpushed.id), 1u);
    EXPECT_EQ(delivered(c, 1, 2, old.id), 1u);  // within the newest 32: pushed again too
    EXPECT_EQ(c.core(0).stats().restart_repushes, 2u);
    // And the restored history is the gossip's to offer in digests to the topic's other
    // mailboxes (it may be on none of them).
    ASSERT_NE(c.core(0).gossip().tree("t"), nullptr);
    EXPECT_TRUE(c.core(0).gossip().tree("t")->seen(unpushed.id));
}

TEST(NodeDissemination, ARestartedMailboxRepushesOnlyItsNewestEvents) {
    NodeCoreConfig cfg;
    cfg.params.restart_repush_events = 1;
    CoreCluster c(2, cfg);
    two_subscribers(c);
    const wire::Event old = event("t", 1, 1), newest = event("t", 2, 1);
    c.kill(0);
    restart_holding(c, {old, newest});
    c.run_for(2s);
    EXPECT_EQ(delivered(c, 1, 2, newest.id), 1u);
    EXPECT_EQ(delivered(c, 1, 2, old.id), 0u);
}

TEST(NodeDissemination, ARestartedMailboxRepushesNothingPublishedLongBeforeItStopped) {
    // An idle topic's last events, published a minute before the node stopped, are no news:
    // only the last restart_repush_window (10 s) before the stop is pushed again.
    CoreCluster c(2);
    two_subscribers(c);
    const wire::Event e = event("t", 1, 1);  // published at wall time 3,600,000 ms
    c.kill(0);
    restart_holding(c, {e}, e.timestamp_ms + 60'000);
    c.run_for(2s);
    EXPECT_EQ(delivered(c, 1, 2, e.id), 0u);
    EXPECT_EQ(c.core(0).stats().restart_repushes, 0u);
}

TEST(NodeDissemination, PushToAClientThatLeftIsDroppedAndItsPollCatchesUp) {
    CoreCluster c(2);
    two_subscribers(c);
    c.node(1).wake = c.core(1).on_client_disconnected(c.now(), 2);
    const wire::Event e = event("t", 1, 1);
    c.client_frame(0, 1, wire::Publish{3, e, {}, false});
    c.run_for(2s);
    EXPECT_GE(c.core(1).stats().pushes_no_session, 1u);
    // Back online (a new connection): the poll returns the missed event, and asks for the id
    // the client offers that the mailbox never had.
    c.connect_client(1, 3, cid(2));
    const wire::Event unknown = event("t", 9, 2);
    c.client_frame(1, 3, wire::Poll{4, "t", c.core(0).self_addr(), {unknown.id}});
    c.run_for(2s);
    auto polls = frames_of<wire::PollResult>(c, 1, 3);
    ASSERT_EQ(polls.size(), 1u);
    EXPECT_EQ(polls[0].status, wire::PollStatus::ok);
    ASSERT_EQ(polls[0].events.size(), 1u);
    EXPECT_EQ(polls[0].events[0].id, e.id);
    ASSERT_EQ(polls[0].wanted.size(), 1u);
    EXPECT_EQ(polls[0].wanted[0], unknown.id);
    // The hand-in of the wanted event is stored there.
    c.client_frame(1, 3, wire::Publish{5, unknown, {c.core(0).self_addr()}, true});
    c.run_for(2s);
    EXPECT_TRUE(c.core(0).mailbox().find_event("t", unknown.id));
    EXPECT_EQ(c.core(1).stats().hand_ins, 1u);
}

// A full page of events plus the longest `wanted` list (the client offers 1,024 ids the mailbox
// lacks) must still fit one datagram and one client frame: the list is cut, the page is not.
TEST(NodeDissemination, AFullPollReplyFitsOneDatagram) {
    CoreCluster c(2);
    two_subscribers(c);
    for (std::uint64_t n = 1; n <= 300; ++n) {
        wire::Event e = event("t", 100 + n, 1);
        e.payload = Bytes(200, static_cast<std::uint8_t>(n));
        e.seal();
        c.client_frame(0, 1, wire::Publish{1000 + n, e, {}, false});
    }
    c.run_for(2s);
    std::vector<wire::EventId> offered;
    for (std::uint64_t n = 1; n <= wire::max_poll_ids; ++n) offered.push_back(event("t", 5000 + n, 2).id);
    c.connect_client(1, 3, cid(2));
    c.client_frame(1, 3, wire::Poll{4, "t", c.core(0).self_addr(), offered});
    c.run_for(2s);
    auto polls = frames_of<wire::PollResult>(c, 1, 3);  // the harness keeps decodable frames only
    ASSERT_EQ(polls.size(), 1u);
    EXPECT_EQ(polls[0].status, wire::PollStatus::ok);
    EXPECT_GT(polls[0].events.size(), 150u);
    EXPECT_TRUE(polls[0].more);
    EXPECT_FALSE(polls[0].wanted.empty());
    EXPECT_LT(polls[0].wanted.size(), offered.size());
    EXPECT_LE(wire::encode(wire::Message{polls[0]}).size(), wire::limits::max_datagram_bytes);
    EXPECT_GE(c.core(0).stats().poll_wanted_trimmed, 1u);
}

TEST(NodeDissemination, PollOfADeadMailboxAnswersUnreachable) {
    CoreCluster c(2);
    two_subscribers(c);
    c.kill(0);
    c.client_frame(1, 2, wire::Poll{6, "t", c.core(0).self_addr(), {}});
    c.run_for(5s);
    auto polls = frames_of<wire::PollResult>(c, 1, 2);
    ASSERT_EQ(polls.size(), 1u);
    EXPECT_EQ(polls[0].status, wire::PollStatus::unreachable);
}

// Node 0, the mailbox of "t", dies; client 2 of node 1 publishes `e` naming it (request 9). Its
// home times out (3 s), looks the topic up, finds nothing live and elects node 1 or 2.
void publish_naming_a_dead_mailbox(CoreCluster& c, const wire::Event& e) {
    c.link(1, 2);
    two_subscribers(c);
    c.kill(0);
    c.client_frame(1, 2, wire::Publish{9, e, {c.core(0).self_addr()}, false});
}

// Two subscribers (linked homes 1 and 2); nodes 0, 3, 4 and 5 die; client 2 at node 1 publishes
// `e` naming all four: each costs the home a 3 s request, the whole 12 s deadline.
void publish_naming_four_dead_mailboxes(CoreCluster& c, const wire::Event& e) {
    c.link(1, 2);
    two_subscribers(c);
    for (std::size_t i : {0u, 3u, 4u, 5u}) c.kill(i);
    c.client_frame(1, 2, wire::Publish{9, e,
                                       {c.core(0).self_addr(), c.core(3).self_addr(),
                                        c.core(4).self_addr(), c.core(5).self_addr()},
                                       false});
}

bool stored_by_a_live_node(CoreCluster& c, const wire::EventId& id) {
    return c.core(1).mailbox().find_event("t", id) || c.core(2).mailbox().find_event("t", id);
}

TEST(NodeDissemination, PublicationGoesOnPastADeadMailbox) {
    CoreCluster c(3);
    const wire::Event e = event("t", 1, 2);
    publish_naming_a_dead_mailbox(c, e);
    c.run_for(11s);
    auto results = frames_of<wire::PublishResult>(c, 1, 2);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].status, wire::PublishStatus::accepted);
    EXPECT_NE(results[0].mailbox.id, c.core(0).id());
    EXPECT_EQ(c.core(1).stats().store_timeouts, 1u);
}

// A phone that publishes and loses its connection before the mailbox answered (it went offline
// for good) does not take the event with it: the home has it and stores it anyway; a retry
// over a new connection joins the one in flight and gets the answer.
TEST(NodeDissemination, APublicationOutlivesItsPublishersConnection) {
    CoreCluster c(3);
    const wire::Event e = event("t", 1, 2);
    publish_naming_a_dead_mailbox(c, e);
    c.run_for(1s);
    c.node(1).wake = c.core(1).on_client_disconnected(c.now(), 2);
    c.connect_client(1, 3, cid(2));  // the same phone, a new connection
    c.client_frame(1, 3, wire::Publish{10, e, {c.core(0).self_addr()}, false});
    c.run_for(12s);
    EXPECT_TRUE(stored_by_a_live_node(c, e.id));
    EXPECT_TRUE(frames_of<wire::PublishResult>(c, 1, 2).empty()) << "the old connection is gone";
    auto results = frames_of<wire::PublishResult>(c, 1, 3);
    ASSERT_EQ(results.size(), 1u) << "the retry joined the publication in flight";
    EXPECT_EQ(results[0].request_id, 10u);
    EXPECT_EQ(results[0].status, wire::PublishStatus::accepted);
    EXPECT_EQ(c.core(1).stats().store_timeouts, 1u) << "one store, not two";
}

// Without a retry the event is still stored.
TEST(NodeDissemination, APublicationIsStoredAfterItsPublisherLeftForGood) {
    CoreCluster c(3);
    const wire::Event e = event("t", 1, 2);
    publish_naming_a_dead_mailbox(c, e);
    c.run_for(1s);
    c.node(1).wake = c.core(1).on_client_disconnected(c.now(), 2);
    c.run_for(12s);
    EXPECT_TRUE(stored_by_a_live_node(c, e.id));
    EXPECT_EQ(c.core(1).stats().publications_accepted, 1u);
}

// A phone whose home died with its mailboxes hears of their loss from nobody: its new home tells
// it of each mailbox it named that let a request time out, so that the next request does not
// name it again (and a poll of a dead mailbox says so too, not only `unreachable`).
TEST(NodeDissemination, AMailboxThatTimedOutIsReportedToTheClientThatNamedIt) {
    CoreCluster c(3);
    const wire::Event e = event("t", 1, 2);
    publish_naming_a_dead_mailbox(c, e);
    c.client_frame(1, 2, wire::Poll{6, "t", c.core(0).self_addr(), {}});
    c.run_for(11s);
    auto lost = frames_of<wire::MailboxLost>(c, 1, 2);
    // The store's timeout alone is not reported: the home pings this mailbox (its client is
    // registered there) and it answered the last ping, so one lost datagram could explain it.
    // The poll's timeout, the mailbox suspected by then, is.
    ASSERT_EQ(lost.size(), 1u) << "reported once, on the second silence";
    EXPECT_EQ(lost[0].mailbox.id, c.core(0).id());
    EXPECT_EQ(lost[0].topic, "t");
    EXPECT_EQ(c.core(1).stats().unreachable_notices, 1u);
    // A later request naming it is skipped (suspected) and reported at once.
    const wire::Event e2 = event("t", 2, 2);
    c.client_frame(1, 2, wire::Publish{11, e2, {c.core(0).self_addr()}, false});
    EXPECT_EQ(frames_of<wire::MailboxLost>(c, 1, 2).size(), 2u);
}

// Four dead mailboxes named take the whole 12 s deadline; the phone left after 1 s. The home keeps
// the publication past the deadline, looks the topic up and elects a mailbox: the event is
// stored. A retry from the phone back meanwhile is answered at once (not left to time out) and
// gets the acceptance when it comes.
TEST(NodeDissemination, APublicationWhosePublisherLeftIsKeptPastTheDeadline) {
    CoreCluster c(6);
    const wire::Event e = event("t", 1, 2);
    publish_naming_four_dead_mailboxes(c, e);
    c.run_for(1s);
    c.node(1).wake = c.core(1).on_client_disconnected(c.now(), 2);
    c.run_for(12s);
    EXPECT_FALSE(stored_by_a_live_node(c, e.id)) << "the dead mailboxes took the deadline";
    EXPECT_EQ(c.core(1).stats().publications_kept, 1u);
    c.connect_client(1, 3, cid(2));
    c.client_frame(1, 3, wire::Publish{10, e, {}, false});
    auto results = frames_of<wire::PublishResult>(c, 1, 3);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].status, wire::PublishStatus::failed) << "answered at once";
    c.run_for(40s);
    EXPECT_TRUE(stored_by_a_live_node(c, e.id));
    results = frames_of<wire::PublishResult>(c, 1, 3);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[1].status, wire::PublishStatus::accepted);
    EXPECT_EQ(c.core(1).stats().publications_accepted, 1u);
}

// Still connected at the deadline, the phone is answered `failed` and leaves a moment later for
// good: the home goes on and stores the event.
TEST(NodeDissemination, APublicationAnsweredFailedAtTheDeadlineIsStillStored) {
    CoreCluster c(6);
    const wire::Event e = event("t", 1, 2);
    publish_naming_four_dead_mailboxes(c, e);
    c.run_for(12500ms);
    auto results = frames_of<wire::PublishResult>(c, 1, 2);
    ASSERT_EQ(results.size(), 1u);
    EXPECT_EQ(results[0].status, wire::PublishStatus::failed);
    c.node(1).wake = c.core(1).on_client_disconnected(c.now(), 2);
    c.run_for(40s);
    EXPECT_TRUE(stored_by_a_live_node(c, e.id));
    EXPECT_EQ(c.core(1).stats().publications_kept, 1u);
}

// Two homes elect themselves for "t" at the same moment (neither knows the other yet).
void elect_apart(CoreCluster& c) {
    c.link(0, 1);
    c.start();
    c.connect_client(0, 1, cid(1));
    c.connect_client(1, 2, cid(2));
    c.client_frame(0, 1, wire::Subscribe{1, "t", {}});
    c.client_frame(1, 2, wire::Subscribe{1, "t", {}});
    c.run_for(10s);
}

TEST(NodeDissemination, MailboxesElectedApartLinkAndForwardEvents) {
    // The discovery walks link the two; an event published at one reaches the other's subscriber.
    CoreCluster c(2);
    elect_apart(c);
    ASSERT_TRUE(c.core(0).mailbox().holds("t"));
    ASSERT_TRUE(c.core(1).mailbox().holds("t"));
    c.run_for(70s);  // the later discovery rounds
    ASSERT_EQ(c.core(0).mailbox().links("t").size(), 1u);
    ASSERT_EQ(c.core(1).mailbox().links("t").size(), 1u);
    const wire::Event e = event("t", 1, 1);
    c.client_frame(0, 1, wire::Publish{2, e, {c.core(0).self_addr()}, false});
    c.run_for(2s);
    EXPECT_TRUE(c.core(1).mailbox().find_event("t", e.id));
    EXPECT_EQ(delivered(c, 1, 2, e.id), 1u);
}

TEST(NodeDissemination, ARestartedMailboxGetsWhatItMissedWithinSecondsOfItsRestart) {
    // Node 1, a mailbox linked to node 0, dies; an event is published at node 0 meanwhile; node 1
    // comes back from its journal (topic, link, its client's registration). It joins its
    // restored link at once, node 0 sees the rejoin and digests to it 5 s later, and node 1's
    // subscriber gets the event then, not at the next digest period (a minute) or discovery
    // round.
    CoreCluster c(2);
    elect_apart(c);
    c.run_for(70s);
    ASSERT_EQ(c.core(1).mailbox().links("t").size(), 1u);
    c.run_for(20s);  // node 0's digest to node 1 went and was answered: nothing pending
    const auto rejoins_before = c.core(0).gossip().counters().peers_rejoined;
    c.kill(1);
    const wire::Event missed = event("t", 1, 1);
    c.client_frame(0, 1, wire::Publish{2, missed, {c.core(0).self_addr()}, false});
    c.run_for(5s);
    const NodeId peer = c.core(0).id();
    const Endpoint peer_at = c.core(0).endpoint();
    c.restart(1, [&](mailbox::Mailbox& m, TimePoint now) {
        ASSERT_EQ(m.adopt_topic("t", now), mailbox::AdoptResult::adopted);
        ASSERT_EQ(m.link("t", mailbox::MailboxRef{peer, peer_at}), mailbox::LinkResult::linked);
        ASSERT_TRUE(m.restore_registration("t", cid(2), c.core(1).endpoint(),
                                           m.wall_clock().to_unix_ms(now + 10min), now));
    });
    c.connect_client(1, 2, cid(2));  // its phone reconnects to the restarted home
    c.run_for(8s);
    EXPECT_TRUE(c.core(1).mailbox().find_event("t", missed.id));
    EXPECT_EQ(delivered(c, 1, 2, missed.id), 1u);
    EXPECT_EQ(c.core(0).gossip().counters().peers_rejoined, rejoins_before + 1);
}

TEST(NodeDissemination, AnIntroLinksMailboxesTheHomeKnows) {
    CoreCluster c(2);
    elect_apart(c);
    c.node(0).clients.frames.clear();
    wire::MailboxIntro intro{"t", {c.core(1).self_addr()}};
    c.node(0).wake = c.core(0).on_datagram(c.now(), c.core(1).endpoint(), wire::encode(intro));
    c.run_for(1s);
    EXPECT_EQ(c.core(0).mailbox().links("t").size(), 1u);
    EXPECT_EQ(c.core(1).mailbox().links("t").size(), 1u);  // the GossipJoin made it mutual
}

}  // namespace
}  // namespace elmo
