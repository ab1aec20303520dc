import Foundation
import TurkTools

exit(await DeleteHitsCommand.main())
