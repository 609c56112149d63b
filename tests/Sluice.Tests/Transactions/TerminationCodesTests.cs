using Sluice.Transactions;

namespace Sluice.Tests.Transactions;

public class TerminationCodesTests
{
    [Theory]
    [InlineData(TerminationCauseValue.None, TerminationPhaseValue.None, "--")]
    [InlineData(TerminationCauseValue.ClientClosed, TerminationPhaseValue.Data, "CD")]
    [InlineData(TerminationCauseValue.ServerClosed, TerminationPhaseValue.Data, "SD")]
    [InlineData(TerminationCauseValue.ServerTimeout, TerminationPhaseValue.Data, "sD")]
    [InlineData(TerminationCauseValue.ClientTimeout, TerminationPhaseValue.Data, "cD")]
    [InlineData(TerminationCauseValue.ServerClosed, TerminationPhaseValue.Connect, "SC")]
    [InlineData(TerminationCauseValue.ServerTimeout, TerminationPhaseValue.Connect, "sC")]
    [InlineData(TerminationCauseValue.ProxyCondition, TerminationPhaseValue.Request, "PR")]
    [InlineData(TerminationCauseValue.Resource, TerminationPhaseValue.Connect, "RC")]
    [InlineData(TerminationCauseValue.Internal, TerminationPhaseValue.Data, "ID")]
    [InlineData(TerminationCauseValue.Down, TerminationPhaseValue.Data, "DD")]
    [InlineData(TerminationCauseValue.Killed, TerminationPhaseValue.Data, "KD")]
    [InlineData(TerminationCauseValue.Up, TerminationPhaseValue.Data, "UD")]
    [InlineData(TerminationCauseValue.ClientClosed, TerminationPhaseValue.Queue, "CQ")]
    [InlineData(TerminationCauseValue.ClientTimeout, TerminationPhaseValue.Headers, "cH")]
    [InlineData(TerminationCauseValue.ProxyCondition, TerminationPhaseValue.Tarpit, "PT")]
    [InlineData(TerminationCauseValue.ClientClosed, TerminationPhaseValue.Last, "CL")]
    public void Render_CauseAndPhase_HaproxyCode(TerminationCauseValue cause, TerminationPhaseValue phase, string expected) =>
        Assert.Equal(expected, TerminationCodes.Render((TerminationCause)cause, (TerminationPhase)phase));

    [Fact]
    public void Render_EveryCombination_TwoCharactersAndCached()
    {
        foreach (var cause in Enum.GetValues<TerminationCause>())
        {
            foreach (var phase in Enum.GetValues<TerminationPhase>())
            {
                var code = TerminationCodes.Render(cause, phase);
                Assert.Equal(2, code.Length);
                Assert.Same(code, TerminationCodes.Render(cause, phase));
                Assert.Equal(TerminationCodes.CauseChar(cause), code[0]);
                Assert.Equal(TerminationCodes.PhaseChar(phase), code[1]);
            }
        }
    }

    /// <summary>Public mirrors of the internal enums, so that theory data can name them.</summary>
    public enum TerminationCauseValue
    {
        None = 0, ClientTimeout = 1, ClientClosed = 2, ServerTimeout = 3, ServerClosed = 4, ProxyCondition = 5,
        Resource = 6, Internal = 7, Down = 8, Killed = 9, Up = 10,
    }

    public enum TerminationPhaseValue
    {
        None = 0, Request = 1, Connect = 2, Headers = 3, Data = 4, Last = 5, Queue = 6, Tarpit = 7,
    }
}
