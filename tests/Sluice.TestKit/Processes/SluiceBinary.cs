namespace Sluice.TestKit.Processes;

/// <summary>Where the built program is: the test projects reference src/Sluice, so sluice.dll sits beside them.</summary>
public static class SluiceBinary
{
    public static string DllPath
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "sluice.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("sluice.dll not found beside the tests; does the test project reference src/Sluice?", path);
        }
    }

    /// <summary>Runs <c>dotnet sluice.dll ARGS</c> to completion.</summary>
    public static Task<CommandResult> RunAsync(IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null, IDictionary<string, string>? environment = null) =>
        CommandRunner.RunAsync("dotnet", [DllPath, .. arguments], workingDirectory, timeout ?? TimeSpan.FromSeconds(30), environment);
}
