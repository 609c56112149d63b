using System.Runtime.CompilerServices;

// The integration tests drive ProxyHost in process as well as through the program.
[assembly: InternalsVisibleTo("Sluice.Integration")]
