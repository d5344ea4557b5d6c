#include "common/sync/stream_digest.h"

#include <gtest/gtest.h>

namespace tenantsync {
namespace {

TEST(StreamDigestTest, Fnv1aMatchesTheReferenceVectors) {
  EXPECT_EQ(StreamDigest::Fnv1a(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(StreamDigest::Fnv1a("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(StreamDigest::Fnv1a("foobar"), 0x85944171f73967e8ULL);
}

TEST(StreamDigestTest, ChunkingDoesNotMatterButOrderAndContentDo) {
  StreamDigest whole, chunks, reordered, changed;
  whole.Update("row 1\nrow 2\n");
  chunks.Update("row 1\n");
  chunks.Update("row 2\n");
  reordered.Update("row 2\nrow 1\n");
  changed.Update("row 1\nrow 3\n");
  EXPECT_EQ(whole.Hex(), chunks.Hex());
  EXPECT_NE(whole.Hex(), reordered.Hex());
  EXPECT_NE(whole.Hex(), changed.Hex());
}

TEST(StreamDigestTest, UnorderedItemsCommuteAndCount) {
  StreamDigest a, b, c;
  a.AddUnordered("x");
  a.AddUnordered("y");
  b.AddUnordered("y");
  b.AddUnordered("x");
  c.AddUnordered("x");
  EXPECT_EQ(a.Hex(), b.Hex());
  EXPECT_NE(a.Hex(), c.Hex());
  StreamDigest d;
  d.Count(1);
  EXPECT_NE(d.Hex(), StreamDigest().Hex());  // an empty row still counts
}

}  // namespace
}  // namespace tenantsync
