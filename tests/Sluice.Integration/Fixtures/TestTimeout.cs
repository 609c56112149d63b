namespace Sluice.Integration.Fixtures;

/// <summary>One bound for every wait of the integration tests, overridable with SLUICE_TEST_TIMEOUT (seconds).</summary>
internal static class TestTimeout
{
    public static readonly TimeSpan Value = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("SLUICE_TEST_TIMEOUT"), out var s) && s > 0 ? s : 15);

    public static CancellationToken Token() => new CancellationTokenSource(Value).Token;
}
