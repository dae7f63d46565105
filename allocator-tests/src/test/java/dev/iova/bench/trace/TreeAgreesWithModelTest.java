package dev.iova.bench.trace;

import dev.iova.IovaDomain;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Highest fit fixes every placement, so the tree and {@link HighestFitModel} must report the
 * same counts and the same pfn digest on any trace: the conformance traces (which also checks
 * the model) and generated ones of every shape.
 */
class TreeAgreesWithModelTest
{
    static Stream<Arguments> generatedTraces()
    {
        return Stream.of(TraceShape.values()).filter(shape -> shape.version() == 1).flatMap(shape -> Stream.of(1L, 2L).map(seed -> Arguments.of(shape, seed)));
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("generatedTraces")
    void shouldPlaceEveryGeneratedAllocationWhereTheModelDoes(final TraceShape shape, final long seed)
    {
        assertAgreement(TraceParser.parseText(shape.shapeName(), TraceGenerator.generateText(shape, 20_000, seed)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"small-hand", "tight-3000"})
    void shouldAgreeOnTheConformanceTraces(final String traceName) throws IOException
    {
        final Trace trace = TraceParser.parse(ConformanceTracesTest.tracesDir().resolve(traceName + ".trace"));

        final ReplayResult model = assertAgreement(trace);

        final String expectedDigest = ConformanceTracesTest.readFlatJson(
            ConformanceTracesTest.tracesDir().resolve(traceName + ".expected.json")).get("pfnDigest");
        assertEquals(expectedDigest, model.pfnDigestHex(), "the model itself conforms");
    }

    private static ReplayResult assertAgreement(final Trace trace)
    {
        final TraceReplayer replayer = new TraceReplayer(trace);
        final ReplayResult tree;
        final ReplayResult model;
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            tree = replayer.replay(new DomainReplayTarget(domain));
            model = replayer.replay(new HighestFitModel(domain.startPfn(), domain.lastPfn()));
        }
        assertTrue(tree.sameOutcomeAs(model), "tree " + tree + " vs model " + model);
        return model;
    }
}
