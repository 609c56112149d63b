namespace Sluice.Integration.Fixtures;

/// <summary>One bound for every wait of the integration tests, overridable with SLUICE_TEST_TIMEOUT (seconds).</summary>
internal static class TestTimeout
{
    public static readonly TimeSpan Value = TimeSpan.FromSeconds(
        int.TryParse(Environment.GetEnvironmentVariable("SLUICE_TEST_TIMEOUT"), out var s) && s > 0 ? s : 15);

    public static CancellationToken Token() => new CancellationTokenSource(Value).Token;

    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test when it does not within <see cref="Value"/>.</summary>
    public static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    /// <inheritdoc cref="WaitUntilAsync(Func{bool})"/>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Value;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }
}
