import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ABSENT, applyChange, composeChanges, deltaOf, heldAt, type MemberChange, type Presence } from "./delta.js";
import { parseRecordId } from "./record-id.js";

const id = parseRecordId("user:1");
const presence: fc.Arbitrary<Presence> = fc.oneof(fc.constant(ABSENT), fc.integer({ min: 1, max: 4 }).map(heldAt));
/** Consecutive presences of one record: each step a change from one to the next. */
const path = (min: number) => fc.array(presence, { minLength: min, maxLength: 12 });
const steps = (presences: readonly Presence[]): MemberChange[] =>
  presences.slice(1).map((after, i) => ({ before: presences[i]!, after }));

/** The record's net delta as a view would report it, knowing only what it held first and last. */
function expectedDelta(first: Presence, last: Presence): string {
  if (last.held) return !first.held ? `CREATED v${last.version}` : first.version !== last.version ? `UPDATED v${last.version}` : "none";
  return first.held ? `DELETED v${first.version}` : "none";
}

const show = (change: MemberChange): string => {
  const delta = deltaOf(id, change);
  return delta === undefined ? "none" : `${delta.event} v${delta.version}`;
};

describe("the delta algebra", () => {
  it("composes associatively", () => {
    fc.assert(
      fc.property(path(4), (presences) => {
        const [a, b, c] = steps(presences) as [MemberChange, MemberChange, MemberChange];
        expect(composeChanges(composeChanges(a, b), c)).toEqual(composeChanges(a, composeChanges(b, c)));
      }),
    );
  });

  it("applying a composition equals applying its changes one after the other", () => {
    fc.assert(
      fc.property(path(2), (presences) => {
        const changes = steps(presences);
        const composed = changes.reduce(composeChanges);
        const stepwise = changes.reduce(applyChange, presences[0]!);
        expect(applyChange(presences[0]!, composed)).toEqual(stepwise);
        expect(show(composed)).toBe(expectedDelta(presences[0]!, presences.at(-1)!));
      }),
    );
  });

  it("nets CREATED then DELETED to nothing, DELETED then CREATED to UPDATED, UPDATED then DELETED to DELETED at the first version", () => {
    const compose = (...presences: Presence[]) => show(steps(presences).reduce(composeChanges));
    expect(compose(ABSENT, heldAt(1), ABSENT)).toBe("none");
    expect(compose(heldAt(1), ABSENT, heldAt(2))).toBe("UPDATED v2");
    expect(compose(heldAt(1), ABSENT, heldAt(1))).toBe("none");
    expect(compose(heldAt(1), heldAt(2), ABSENT)).toBe("DELETED v1");
    expect(compose(ABSENT, heldAt(1), heldAt(3))).toBe("CREATED v3");
  });

  it("refuses to compose changes that do not meet", () => {
    expect(() => composeChanges({ before: ABSENT, after: heldAt(1) }, { before: heldAt(2), after: ABSENT })).toThrow();
  });
});
