import Foundation
import TurkTools

exit(await CreateHitsCommand.main())
