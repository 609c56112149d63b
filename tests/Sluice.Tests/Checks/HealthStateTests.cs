using Sluice.Checks;
using Sluice.Config.Model;

namespace Sluice.Tests.Checks;

/// <summary>HAProxy's rise/fall counter and the interval it chooses.</summary>
public class HealthStateTests
{
    private static readonly ServerCheckConfig Timing = new()
    {
        Enabled = true,
        Inter = TimeSpan.FromSeconds(2),
        FastInter = TimeSpan.FromMilliseconds(500),
        DownInter = TimeSpan.FromSeconds(5),
    };

    [Fact]
    public void Start_UpWithHealthRise()
    {
        var state = new HealthState(rise: 2, fall: 3);
        Assert.True(state.IsUp);
        Assert.Equal(2, state.Health);
    }

    [Fact]
    public void Start_FirstFailure_DownAtOnce()
    {
        var state = new HealthState(rise: 2, fall: 3);
        Assert.True(state.Report(passed: false));
        Assert.False(state.IsUp);
        Assert.Equal(0, state.Health);
    }

    [Fact]
    public void Start_FirstSuccess_FullyUpWithoutChange()
    {
        var state = new HealthState(rise: 2, fall: 3);
        Assert.False(state.Report(passed: true));
        Assert.True(state.IsUp);
        Assert.Equal(4, state.Health);
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(5, 2)]
    public void FullyUp_FallFailuresInARow_GoesDown(int rise, int fall)
    {
        var state = new HealthState(rise, fall);
        state.Report(passed: true);
        for (var i = 1; i < fall; i++)
        {
            Assert.False(state.Report(passed: false));
            Assert.True(state.IsUp);
        }

        Assert.True(state.Report(passed: false));
        Assert.False(state.IsUp);
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(1, 1)]
    [InlineData(4, 2)]
    public void Down_RiseSuccessesInARow_ComesUp(int rise, int fall)
    {
        var state = new HealthState(rise, fall);
        state.Report(passed: false);
        for (var i = 1; i < rise; i++)
        {
            Assert.False(state.Report(passed: true));
            Assert.False(state.IsUp);
        }

        Assert.True(state.Report(passed: true));
        Assert.True(state.IsUp);
        Assert.Equal(rise + fall - 1, state.Health);
    }

    [Fact]
    public void Down_FailureWhileRising_BackToZero()
    {
        var state = new HealthState(rise: 3, fall: 2);
        state.Report(passed: false);
        state.Report(passed: true);
        state.Report(passed: true);
        Assert.Equal(2, state.Health);
        Assert.False(state.Report(passed: false));
        Assert.Equal(0, state.Health);
        Assert.False(state.IsUp);
    }

    [Fact]
    public void Up_SuccessWhileFalling_BackToFull()
    {
        var state = new HealthState(rise: 2, fall: 3);
        state.Report(passed: true);
        state.Report(passed: false);
        state.Report(passed: false);
        Assert.True(state.IsUp);
        state.Report(passed: true);
        Assert.Equal(4, state.Health);
    }

    [Fact]
    public void NextInterval_InterWhenFullyUp_FastInterWhileMoving_DownInterWhenDown()
    {
        var state = new HealthState(rise: 2, fall: 3);
        Assert.Equal(Timing.FastInter, state.NextInterval(Timing));
        state.Report(passed: true);
        Assert.Equal(Timing.Inter, state.NextInterval(Timing));
        state.Report(passed: false);
        Assert.Equal(Timing.FastInter, state.NextInterval(Timing));
        state.Report(passed: false);
        state.Report(passed: false);
        Assert.False(state.IsUp);
        Assert.Equal(Timing.DownInter, state.NextInterval(Timing));
        state.Report(passed: true);
        Assert.Equal(Timing.FastInter, state.NextInterval(Timing));
    }

    [Fact]
    public void NextInterval_Unset_FallBackToInter()
    {
        var timing = new ServerCheckConfig { Enabled = true, Inter = TimeSpan.FromMilliseconds(700) };
        var state = new HealthState(rise: 2, fall: 3);
        Assert.Equal(timing.Inter, state.NextInterval(timing));
        state.Report(passed: false);
        Assert.Equal(timing.Inter, state.NextInterval(timing));
    }

    [Fact]
    public void AnalyzeFailure_FailCheck_CountsOneFailedCheck()
    {
        var state = new HealthState(rise: 2, fall: 3);
        state.Report(passed: true);
        Assert.False(state.ReportAnalyzeFailure(ObserveErrorAction.FailCheck));
        Assert.Equal(3, state.Health);
        Assert.False(state.ReportAnalyzeFailure(ObserveErrorAction.FailCheck));
        Assert.True(state.ReportAnalyzeFailure(ObserveErrorAction.FailCheck));
        Assert.False(state.IsUp);
    }

    [Fact]
    public void AnalyzeFailure_SuddenDeath_OneMoreFailureTakesItDown()
    {
        var state = new HealthState(rise: 2, fall: 5);
        state.Report(passed: true);
        Assert.Equal(6, state.Health);
        Assert.False(state.ReportAnalyzeFailure(ObserveErrorAction.SuddenDeath));
        Assert.True(state.IsUp);
        Assert.Equal(2, state.Health);
        Assert.True(state.Report(passed: false));
    }

    [Fact]
    public void AnalyzeFailure_MarkDown_DownAtOnce_FastInterChangesNothing()
    {
        var state = new HealthState(rise: 2, fall: 5);
        state.Report(passed: true);
        Assert.False(state.ReportAnalyzeFailure(ObserveErrorAction.FastInter));
        Assert.Equal(6, state.Health);
        Assert.True(state.ReportAnalyzeFailure(ObserveErrorAction.MarkDown));
        Assert.False(state.IsUp);
        Assert.Equal(0, state.Health);
    }
}
