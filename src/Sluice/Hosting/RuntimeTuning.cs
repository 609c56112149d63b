namespace Sluice.Hosting;

/// <summary>Runtime settings a proxy needs, applied first thing in <see cref="Program.Main"/>.</summary>
internal static class RuntimeTuning
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    private const string ArraysPerPartition = "DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION";

    /// <summary>
    /// Arrays of one size the shared array pool keeps per core (the runtime's default is 32). Every HTTP/2 stream
    /// in flight holds a few of them (its header lists, the replayable copy of its request body, its pipe
    /// segments): with the default, a hundred streams at once overflowed the pool, and every array rented past
    /// the 32nd was allocated and then dropped again, several kilobytes of garbage per request. The pool still
    /// trims what stays unused when memory runs short.
    /// </summary>
    private const string ArraysPerPartitionValue = "1024";

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

        // Read once, when the shared array pool is first used: nothing before Main rents from it.
        if (Environment.GetEnvironmentVariable(ArraysPerPartition) is null)
        {
            Environment.SetEnvironmentVariable(ArraysPerPartition, ArraysPerPartitionValue);
        }
    }
}
