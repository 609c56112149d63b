namespace Sluice.Hosting;

/// <summary>Runtime settings a proxy needs, applied first thing in <see cref="Program.Main"/>.</summary>
internal static class RuntimeTuning
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Socket completions run on the event thread that received them instead of being queued to the thread
    /// pool: a proxy's continuations are short (parse, copy, send), so the hop to another thread costs more than
    /// the work, most of all on one or two cores. The runtime reads the variable when the first socket
    /// operation starts, so setting it here, before any socket exists, is enough. An explicit setting wins.
    /// </summary>
    public static void Apply()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }
    }
}
